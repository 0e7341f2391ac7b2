"""`python -m services.kubelet`: the node agent (services/kubelet/app.py builds the process)."""
from services.kubelet.app import main

if __name__ == "__main__":
    main()
