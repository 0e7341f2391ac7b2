"""The cluster DNS server (`python -m services.dns`): the kubernetes/dns schema as CoreDNS's kubernetes plugin
serves it with kubeadm's Corefile, on the `kube-dns` ClusterIP. See docs/dns.md.

Modules: `snapshot` (what is known of the cluster), `request` and `records` (names to items), `answer` (the
response, pure), `cache` (informers to snapshots), `forward` (upstream resolvers), `server` (UDP/TCP),
`listener` (where it listens), `selfendpoints` (the kube-dns Endpoints and EndpointSlice), `metrics`.
"""
