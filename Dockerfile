# paperkg: the HTTP API on a CPU-only image. Build: docker build -t paperkg . ; run: see compose.yaml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    PAPERKG_DATA=/data

WORKDIR /app

# CPU-only torch first, from PyTorch's CPU index, so that no CUDA build is pulled in.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY . .
RUN pip install -c constraints.txt . \
    && groupadd --system --gid 10001 paperkg \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home paperkg \
    && mkdir -p /data \
    && chown 10001:10001 /data

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]

CMD ["paperkg", "serve", "--host", "0.0.0.0", "--port", "8000"]
