"""How the server and the command line print objects: the columns of each kind, their cells, a pod's status
summary (k/k pkg/printers/internalversion/printers.go, upstream the API server's Table printing, which
kubectl shows). The API server's Table answers, the web view and `kubelab get` read the same definitions.

- tables: each kind's columns (wide-only ones marked) and cells (printers.go's print<Kind> functions);
- podstatus: a pod's READY, STATUS and RESTARTS (printPod);
- format: the value renderings they need: ages (apimachinery util/duration), labels and selectors,
  quantities.

CLI-only output (tabwriter, jsonpath, -o, watch, the NAMESPACE column and `kind/` prefix) is
kubelab.cli.render's.
"""

#: The media type a client asks for to get a kind's rows printed by the server (meta.k8s.io/v1 Table), as
#: kubectl's get does; the API server answers it (services/apiserver/http/tables.py), `kubelab get` asks it.
TABLE_MEDIA = "application/json;as=Table;v=v1;g=meta.k8s.io"

