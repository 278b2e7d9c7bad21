# credbot: slim runtime image, non-root, `credbot serve` by default.
#
#   docker build -t credbot .            (podman: podman build --format docker -t credbot .)
#   docker run --env-file credbot.env -p 8080:8080 -v credbot-data:/var/lib/credbot credbot
#
# The base is pinned by digest: python:3.11-slim as of 2026-08-16 (Python 3.11.16, Debian
# trixie; the multi-architecture index digest). Update it by resolving a new digest
# (`docker buildx imagetools inspect python:3.11-slim`), testing, and changing it here. Where
# the registry cannot be reached, build on an image you provide with
#   --build-arg BASE_IMAGE=registry.internal/python:3.11-slim@sha256:...   (a mirror), or
#   docker load -i python-3.11-slim.tar, then --build-arg BASE_IMAGE=<the loaded name>;
# any Debian-like image with python3 >= 3.11 and its venv module will do (deploy/smoke-image.sh
# builds such a stand-in with debootstrap when it has to).
ARG BASE_IMAGE=docker.io/library/python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
# For this stage only: a package mirror (PIP_INDEX_URL) and, behind a TLS-inspecting proxy, its
# CA bundle mounted into the build (podman build -v /etc/ssl/certs/ca-certificates.crt:/ca.crt
# --build-arg PIP_CERT=/ca.crt). The hashes are checked whatever the source.
ARG PIP_INDEX_URL
ARG PIP_CERT
RUN python3 -m venv /opt/credbot
# Dependencies first (their layer survives code changes), exactly as locked: every file's
# hash must match requirements.lock, and nothing outside it is installed.
COPY requirements.lock /tmp/requirements.lock
RUN /opt/credbot/bin/pip install --require-hashes --only-binary=:all: -r /tmp/requirements.lock
COPY pyproject.toml README.md /src/
COPY bot /src/bot
COPY vault /src/vault
# credbot itself: no dependencies to fetch, built with the locked setuptools already in place;
# then the installers go (about 25 MB): nothing is ever pip-installed into a running image.
RUN /opt/credbot/bin/pip install --no-deps --no-build-isolation --no-index /src \
    && /opt/credbot/bin/python -m pip uninstall -q -y pip setuptools wheel

FROM ${BASE_IMAGE}
# One data directory, writable by the image's user and by any UID in group 0 (OpenShift runs
# containers under an arbitrary UID with GID 0): group root, group permissions = owner's.
RUN useradd --system --uid 10001 --gid 0 --home-dir /var/lib/credbot --no-create-home \
        --shell /usr/sbin/nologin credbot \
    && mkdir -p /var/lib/credbot \
    && chown 10001:0 /var/lib/credbot \
    && chmod 2775 /var/lib/credbot
COPY --from=build /opt/credbot /opt/credbot
ENV PATH=/opt/credbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/var/lib/credbot \
    CREDBOT_HOST=0.0.0.0 \
    CREDBOT_PORT=8080 \
    CREDBOT_DATABASE_URL=sqlite:////var/lib/credbot/credbot.sqlite3
WORKDIR /var/lib/credbot
VOLUME ["/var/lib/credbot"]
USER 10001:0
EXPOSE 8080
# Ready = the database answers and its schema is current (GET /readyz); python's urllib, so the
# image needs no curl. Only `serve` answers: one-shot commands (db upgrade, sweep) end first.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python3 -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('CREDBOT_PORT', '8080'), timeout=4)"
ENTRYPOINT ["credbot"]
CMD ["serve"]
