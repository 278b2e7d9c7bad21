# credbot: slim runtime image, non-root, `credbot` as the entry point.
# Build: docker build -t credbot .      Run: docker run --env-file credbot.env credbot serve
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY vault ./vault
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/credbot --create-home credbot
COPY --from=build /install /usr/local
USER credbot
WORKDIR /var/lib/credbot
ENV PYTHONUNBUFFERED=1 \
    CREDBOT_DATABASE_URL=sqlite:////var/lib/credbot/credbot.sqlite3
EXPOSE 8080
ENTRYPOINT ["credbot"]
CMD ["--help"]
