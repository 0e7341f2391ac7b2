"""kube-proxy: forwards each Service's ClusterIP:port to a uniformly chosen usable endpoint.

Two modes, as kube-proxy has several: `nftables` programs the kernel (kubernetes/kubernetes
pkg/proxy/nftables), so traffic keeps flowing on the last rules while this process is killed, paused or
partitioned; `userspace` (the old pkg/proxy/userspace, removed upstream in 1.26) relays connections in this
process and is used only where nft is missing or not permitted. docs/proxy.md tells the whole story.

Modules: `serviceports` and `endpoints` (what to proxy: servicechangetracker.go, endpointslicecache.go,
topology.go), `nftables` (the rules), `userspace` (the relay), `proxier` (informers and the sync loop),
`conntrack` (stale UDP entries: conntrack/cleanup.go).
"""
