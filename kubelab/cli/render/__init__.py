"""How the command line prints objects, in one place (kubectl's printers, tabwriter and jsonpath packages).

The columns and cells of each kind, a pod's status summary and the value formatting are the library's
(kubelab.printers, shared with the API server's Table answers and the web view); here is only what the
client adds:

- table: `kubelab get`'s rows: the kind's columns plus NAMESPACE and the `kind/` prefix;
- columns: -L/--label-columns, --show-labels, --sort-by and -o custom-columns;
- tabwriter: Go's text/tabwriter, as kubectl configures it for tables and for describe;
- jsonpath: kubectl's JSONPath templates (-o jsonpath=...);
- output: -o yaml|json|name|jsonpath for objects, in kubectl's encoding;
- watch: `get -w`, a row per change after the list.
"""
