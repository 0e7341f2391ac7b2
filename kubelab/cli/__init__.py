"""The `kubelab` command line: `main` in `kubelab.cli.main`, one module per command group."""
