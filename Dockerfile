# s3-storage-analyser as a container: `serve` (REST API + /metrics) by default, any command otherwise.
#
# NOT BUILT OR RUN IN THIS PROJECT'S CI (no container engine there): a reviewer with Docker or
# Podman checks it with the commands in docs/service.md#container.
#
#   docker build -t s3sa .
#   docker run --rm -p 8000:8000 -e TOKEN=$(openssl rand -hex 32) -v s3sa-data:/data \
#       -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_REGION s3sa
#   docker run --rm -e AWS_PROFILE -v ~/.aws:/home/s3sa/.aws:ro s3sa report --fmt json
#
# EXTRAS picks the optional parts: "service" (the default command needs it), "service,inventory" for
# --strategy inventory too.

ARG PYTHON=python:3.11-slim

# --- build: the wheel, and a virtual environment holding it and its pinned dependencies ------------
FROM ${PYTHON} AS build
ARG EXTRAS=service
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md MANIFEST.in ./
COPY requirements/ requirements/
COPY src/ src/
RUN python -m venv /opt/s3sa \
 && /opt/s3sa/bin/pip install --require-hashes -r requirements/base.txt \
 && /opt/s3sa/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/s3sa/bin/pip install --find-links /wheels "s3-storage-analyser[${EXTRAS}]" \
 && /opt/s3sa/bin/pip check \
 && /opt/s3sa/bin/s3sa --version

# --- runtime: the environment only, as a user without privileges ------------------------------------
FROM ${PYTHON}
LABEL org.opencontainers.image.title="s3-storage-analyser" \
      org.opencontainers.image.description="What is stored in your S3 buckets, and where"
RUN useradd --system --uid 10001 --create-home --home-dir /home/s3sa s3sa \
 && mkdir /data && chown s3sa /data
COPY --from=build /opt/s3sa /opt/s3sa
ENV PATH=/opt/s3sa/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    S3SA_DB=/data/history.sqlite3 \
    XDG_CACHE_HOME=/data/cache
USER s3sa
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
# /healthz needs no token; 503 (degraded) makes the check fail.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
ENTRYPOINT ["s3sa"]
# Outside loopback, serve needs a token: TOKEN=... or --token-file (a secret mounted in the container).
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
