# The app image: gunicorn serving every blueprint, models and the prepared corpus baked in.
#   docker build -t lianjing-lianqing .
#   docker compose up --scale app=3        (see docker-compose.yml and the README)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # Each gunicorn worker is one process; more torch threads per worker only fight over the cores.
    OMP_NUM_THREADS=1 \
    COUPLET_HOST=0.0.0.0 \
    COUPLET_PORT=8000

# The font the couplets are drawn in.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-lxgw-wenkai \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# The CPU build of torch first: the plain PyPI wheel drags in several GB of CUDA libraries.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"

# Every runtime dependency at the version the tests ran against (deploy/lock.py writes the lock).
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY pyproject.toml README.md ./
COPY core core
COPY couplet couplet
COPY vision vision
COPY digits digits
COPY photo photo
COPY app app
COPY data/manifests data/manifests
COPY data/models data/models
# Editable, so the code finds data/manifests and the shipped weights beside it as in a checkout; its
# dependencies are all in place from the lock.
RUN pip install --no-deps -e .

# The corpus, the bad-word list and the corpus store (checksummed downloads at build time; the
# archive goes once it is prepared).
RUN couplet data fetch && couplet data prepare > /dev/null && rm -rf data/raw/couplet.tar.gz

RUN useradd --create-home --uid 10001 couplet && chown -R couplet:couplet /app/data
USER couplet

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["couplet", "serve"]
