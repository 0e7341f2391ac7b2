"""What a lecture shows on the page, checked in the browser against what the API and `kubelab ps` say."""
from __future__ import annotations

import json

PAUSE = "registry.k8s.io/pause"


def statefulset(name: str, replicas: int) -> str:
    return f"""
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {{name: {name}}}
        spec:
          serviceName: {name}
          replicas: {replicas}
          selector: {{matchLabels: {{app: {name}}}}}
          template:
            metadata: {{labels: {{app: {name}}}}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - {{name: app, image: {PAUSE}}}
          volumeClaimTemplates:
          - metadata: {{name: data}}
            spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Mi}}}}}}
        """


async def shown(page, selector: str, timeout: float = 60.0):
    """The first element matching selector, once the page shows it."""
    return await page.wait_for_selector(selector, timeout=timeout * 1000)


async def first_running(page, ns: str, name: str) -> dict[str, float]:
    """When the page first drew each pod of StatefulSet `name` Running (from the page's trace)."""
    trace = await page.evaluate("window.kubelabUI.trace")
    seen: dict[str, float] = {}
    for t, key, view in trace:
        if view and key.startswith(f"Pod:{ns}/{name}-") and view["status"] == "Running":
            seen.setdefault(view["name"], t)
    return seen


async def ordinals_in_columns(page, ns: str, name: str) -> list[list[int]]:
    return await page.evaluate(
        """([ns, name]) => [...document.querySelectorAll('.node')].map((col) =>
            [...col.querySelectorAll(`.pod[data-key^="${ns}/${name}-"]`)].map((p) => +p.dataset.ordinal))""",
        [ns, name])


async def test_statefulset_scale_up_appears_in_ordinal_order(page, cluster, ns, apply):
    await apply(statefulset("db", 2))
    await shown(page, f'.pod[data-key="{ns}/db-1"][data-status=Running]')
    await cluster.kubelab("scale", "-n", ns, "statefulset/db", "--replicas=4")
    await shown(page, f'.pod[data-key="{ns}/db-3"][data-status=Running]', 90)
    seen = await first_running(page, ns, "db")
    assert sorted(seen, key=seen.get) == ["db-0", "db-1", "db-2", "db-3"], seen
    for column in await ordinals_in_columns(page, ns, "db"):
        assert column == sorted(column), f"a node's pods out of ordinal order: {column}"
    assert sum(len(c) for c in await ordinals_in_columns(page, ns, "db")) == 4
    # the events strip filtered by an object shows that object's events only
    await page.fill("#event-filter", "pod/db-2")
    await page.wait_for_function("[...document.querySelectorAll('#events .event')].length > 0")
    strip = await page.locator("#events .event button.ref").all_inner_texts()
    assert strip and set(strip) == {"pod/db-2"}, strip
    # ... and its timeline lines (kubelab timeline's), beside them in the same strip
    await page.wait_for_function("""() => {
        const text = [...document.querySelectorAll('#events .change')].map((l) => l.innerText).join('\\n');
        return text.includes('scheduled to node-') && /\\bReady\\b/.test(text);
    }""")
    changes = await page.locator("#events .change button.ref").all_inner_texts()
    assert set(changes) == {"pod/db-2"}, changes
    await page.fill("#event-filter", "")
    # a click shows the object's YAML and its events
    await page.click(f'.pod[data-key="{ns}/db-0"] button.ref')
    await shown(page, "#detail[open] .events td")
    assert "kind: Pod" in await page.inner_text("#detail .yaml")
    assert "Scheduled" in await page.inner_text("#detail .events")
    await page.click("#detail button")


async def test_claim_volume_link_appears_when_bound(page, client, ns, apply):
    await apply("""
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: disk}
        spec: {storageClassName: network-disk, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Mi}}}
        """)
    claim = await shown(page, f'.claim[data-key="{ns}/disk"][data-phase=Bound]')
    pvc = await client.get("PersistentVolumeClaim", "disk", ns)
    assert pvc.spec.volume_name and await claim.get_attribute("data-volume") == pvc.spec.volume_name
    link = await claim.query_selector('button.ref[data-kind="PersistentVolume"]')
    assert await link.inner_text() == pvc.spec.volume_name
    assert "kubelab.io/network-disk" in await page.inner_text("#storage")


async def ps_state(cluster, name: str) -> str:
    rows = json.loads((await cluster.kubelab("ps", "--format", "json", "--timeout", "3")).stdout)
    return next(r["state"] for r in rows if r["name"] == name)


async def test_killing_the_scheduler_from_the_page_leaves_new_pods_pending(page, cluster, ns, apply):
    try:
        await page.click('button.verb[data-verb=kill][data-name=scheduler]')
        await shown(page, '.component[data-component=scheduler][data-state=killed]')
        assert await ps_state(cluster, "scheduler") == "killed"
        # the timeline strip tells it too (from the launcher's journal), filtered by the component
        await page.fill("#event-filter", "component/scheduler")
        line = await shown(page, '#events .change[data-kind=Component][data-key=scheduler]')
        assert "killed" in await line.inner_text()
        assert await page.locator("#events .event").count() == 0
        await page.fill("#event-filter", "")
        await apply(f"""
            apiVersion: v1
            kind: Pod
            metadata: {{name: waiting}}
            spec: {{terminationGracePeriodSeconds: 1, containers: [{{name: app, image: {PAUSE}}}]}}
            """)
        pending = await shown(page, f'#pending .pod[data-key="{ns}/waiting"]')
        assert "waiting for the scheduler" in await pending.inner_text()
        await page.click('button.verb[data-verb=start][data-name=scheduler]')
        await shown(page, '.component[data-component=scheduler][data-state=running]')
        await shown(page, f'.node .pod[data-key="{ns}/waiting"]', 90)
    finally:
        await cluster.kubelab("start", "scheduler")


async def test_partitioning_a_node_turns_it_not_ready_on_the_page(page, cluster, artifacts):
    try:
        await page.click('button.verb[data-verb=partition][data-name=node-2]')
        await shown(page, '.component[data-component=node-2][data-state*=partitioned]')
        node = await shown(page, '.node[data-node=node-2][data-status^=NotReady]', 60)
        assert "NotReady" in await node.inner_text()
        assert await page.get_attribute('.node[data-node=node-1]', "data-status") == "Ready"
        await page.screenshot(path=str(artifacts / "node-2-partitioned.png"))
        await page.click('button.verb[data-verb=heal][data-name=node-2]')
        await shown(page, '.node[data-node=node-2][data-status=Ready]', 60)
    finally:
        await cluster.kubelab("heal")


async def test_an_unschedulable_pod_waits_in_the_queue_with_the_schedulers_reason(page, ns, apply):
    await apply(f"""
        apiVersion: v1
        kind: Pod
        metadata: {{name: picky}}
        spec:
          terminationGracePeriodSeconds: 1
          nodeSelector: {{disk: none-such}}
          containers: [{{name: app, image: {PAUSE}}}]
        """)
    reason = await shown(page, f'#pending .pod[data-key="{ns}/picky"] .reason[data-reason=Unschedulable]')
    text = await reason.inner_text()
    assert text.startswith("0/2 nodes are available:") and "node affinity/selector" in text, text
