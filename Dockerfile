# One image for every kubelab process; docker-compose.yml picks the process with `command`.
# Kubelets run pod containers with the image's own userland (sh, coreutils, python3, util-linux for
# mount namespaces), so this is also the "node" image: iproute2 for the pods' network namespaces, bridge
# and host-gw routes, nftables for the kube-proxy in each node's namespace and the node's masquerade.
FROM python:3.11-slim

# Debian's versions of the two tools move with the base image's point releases; pinning them would break
# the build at the next one.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends iproute2 nftables \
    && rm -rf /var/lib/apt/lists/*

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
