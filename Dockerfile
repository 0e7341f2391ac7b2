# One image for every kubelab process; docker-compose.yml picks the process with `command`.
# Kubelets run pod containers with the image's own userland (sh, coreutils, python3, util-linux for
# mount namespaces), so this is also the "node" image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KUBELAB_STATE_DIR=/var/lib/kubelab

WORKDIR /opt/kubelab
COPY pyproject.toml README.md ./
COPY kubelab ./kubelab
COPY services ./services
RUN pip install --no-cache-dir . \
    && mkdir -p /var/lib/kubelab

VOLUME ["/var/lib/kubelab"]
CMD ["kubelab", "--help"]
