# syntax=docker/dockerfile:1
# polybox: one image, `polybox serve` on port 8765, data in /var/lib/polybox.
# Build: docker build -t polybox .        Run: see compose.yaml and docs/DEPLOYMENT.md.
# tests/deploy/test_dockerfile.py checks the promises made here (non-root, healthcheck, pinned
# bases, hash-checked dependencies, no secrets baked in).

# --- 1. the admin UI (Vite builds it into src/polybox/ui_dist, which the wheel ships) ----------
FROM node:20-bookworm-slim AS ui
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- 2. the Python package and its locked dependencies, in a venv without pip -----------------
FROM python:3.11-slim-bookworm AS python
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# pip >= 26.1 checks the hashes of a constraints file for every dependency it resolves, which lets
# polybox's runtime dependencies be installed from the runtime lock (without the build backend it
# also pins), each pinned and hash-checked. pip itself is pinned by hash too.
RUN printf '%s\n' 'pip==26.3 --hash=sha256:f3b60b20ffaadd4415ed7957212a38ac63fa4c5fa375bd0f4a797777940fad13' \
        > /tmp/pip.txt \
    && python -m pip install --require-hashes -r /tmp/pip.txt
COPY requirements/runtime.txt requirements/runtime.txt
RUN python -m pip install --require-hashes -c requirements/runtime.txt hatchling
COPY pyproject.toml README.md ./
COPY src/ src/
COPY --from=ui /src/src/polybox/ui_dist/ src/polybox/ui_dist/
# The wheel is built from the files above only (no network: no build isolation, no deps); its own
# hash goes into a one-line requirements file because --require-hashes wants one for everything.
RUN python -m pip wheel --no-deps --no-build-isolation --wheel-dir /dist . \
    && wheel="$(echo /dist/polybox-*.whl)" \
    && echo "polybox @ file://${wheel} --hash=sha256:$(sha256sum "${wheel}" | cut -d ' ' -f 1)" \
        > /tmp/polybox.txt \
    && python -m venv --without-pip /opt/polybox \
    && python -m pip --python /opt/polybox/bin/python install --require-hashes \
        -c requirements/runtime.txt -r /tmp/polybox.txt \
    && /opt/polybox/bin/polybox version

# --- 3. the runtime image ------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
# bubblewrap + libseccomp2: the bwrap sandbox and its seccomp filter. tini: PID 1, so signals
# reach polybox and orphaned processes of Boxes are reaped. python3: Debian's
# /usr/bin/python3 is the interpreter inside the Box (POLYBOX_SANDBOX_PYTHON); it must be a system
# path the sandbox binds read-only, while polybox itself runs from /opt/polybox, which Boxes never
# see.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends bubblewrap libseccomp2 python3 tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 polybox \
    && useradd --system --uid 10001 --gid polybox --no-create-home \
        --home-dir /var/lib/polybox --shell /usr/sbin/nologin polybox \
    && install --directory --owner=polybox --group=polybox --mode=0700 /var/lib/polybox
COPY --from=python /opt/polybox /opt/polybox
ENV PATH=/opt/polybox/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    POLYBOX_DATA_DIR=/var/lib/polybox
# Non-root: Boxes then run as this uid in their own user namespace (see docs/DEPLOYMENT.md for
# what the container runtime must allow for that).
USER polybox:polybox
WORKDIR /var/lib/polybox
VOLUME ["/var/lib/polybox"]
EXPOSE 8765
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('POLYBOX_PORT', '8765'), timeout=4)"]
ENTRYPOINT ["/usr/bin/tini", "--", "polybox"]
CMD ["serve", "--host", "0.0.0.0"]
