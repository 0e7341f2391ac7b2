"""The live web view (`python -m services.ui`, `kubelab ui`; docs/ui.md): nodes and their pods, the Pending
queue, claims and volumes, every process with the failure verbs, events, the timeline.

    __main__.py    the process: flags, informers, the HTTP server
    watcher.py     plumbing: informers -> dirty keys -> views -> the model's operations -> the hub
    views.py       what the page draws of each object (pure)
    model.py       the page's picture and its changes as Server-Sent Events messages (pure)
    hub.py         fan-out to every connected page, each with a bounded queue
    components.py  the processes as `kubelab ps` sees them, and the failure verbs behind the buttons
    timeline.py    the timeline strip, from kubelab/observe's rules
    server.py      HTTP (aiohttp): the page, static/, the event stream, object details, actions
    static/        the page's ES modules and CSS (no build step)
"""
