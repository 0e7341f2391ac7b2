from services.kubelet.app import main

main()
