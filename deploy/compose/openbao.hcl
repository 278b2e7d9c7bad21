# OpenBao for deploy/compose.yaml: server mode, integrated (raft) storage of one node in the
# openbao-data volume, plain HTTP on the compose network only (nothing publishes port 8200).
# Use TLS and your own Vault or OpenBao in production.
storage "raft" {
  path    = "/openbao/file" # the official image's data directory, owned by its user
  node_id = "openbao-1"
}

listener "tcp" {
  address     = "0.0.0.0:8200"
  tls_disable = true
}

api_addr      = "http://openbao:8200"
cluster_addr  = "http://openbao:8201"
disable_mlock = true
ui            = false
