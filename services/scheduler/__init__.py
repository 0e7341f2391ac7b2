"""kube-scheduler, in kubelab's terms: binds pending pods to nodes through filter and score plugins."""
