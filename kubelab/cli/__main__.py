"""`python -m kubelab.cli` runs the `kubelab` command."""

import sys

from kubelab.cli.main import main

sys.exit(main())
