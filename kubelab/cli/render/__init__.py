"""How the command line prints objects, in one place (kubectl's printers, tabwriter and jsonpath packages).

- printers: the table columns and cells of `kubelab get` per kind (printers.go); the API server's Table
  responses and the web view use them too;
- podstatus: a pod's STATUS, READY and RESTARTS as kubectl computes them;
- format: small value formatters (ages, label selectors, quantities, timestamps);
- columns: -L/--label-columns, --show-labels, --sort-by and -o custom-columns;
- tabwriter: Go's text/tabwriter, as kubectl configures it for tables and for describe;
- jsonpath: kubectl's JSONPath templates (-o jsonpath=...);
- output: -o yaml|json|name|jsonpath for objects, in kubectl's encoding;
- watch: `get -w`, a row per change after the list.
"""
