"""The `kubelab` command, laid out by role (docs/kubectl-verbs.md, "How kubelab/cli/ is laid out"):

- main: the verb table (VERBS), global options, dispatch (only the named verb's module is imported);
- cmd/: one module per verb, each with `register(subparsers)`;
- flags: the flags several verbs share, and the handlers that run a verb;
- session, connect, errors: running a verb against the API server, kubectl's error texts;
- targets, manifests, url_source, merge, dry_run, durations: reading the command's input;
- servertable, listing: `get`'s two paths (a table of one kind as the API server's Table over HTTP,
  with no gRPC loaded; everything else over gRPC);
- render/: printing objects (tables, describe's tabwriter, -o yaml|json|jsonpath, watch);
- describe/: the describe pages, by kind; rollout/: rollout status, history and undo, by kind;
- kubelet: the streams to a pod's kubelet (logs, exec, run -i, cp).
"""
