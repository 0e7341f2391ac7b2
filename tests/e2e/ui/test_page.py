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


async def act(page, name: str, verb: str) -> None:
    """Open the component's menu and click the verb, as a teacher does."""
    await page.click(f'.component[data-component="{name}"] summary')
    await page.click(f'button.verb[data-verb={verb}][data-name="{name}"]')


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
        await act(page, "scheduler", "kill")
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
        await act(page, "scheduler", "start")
        await shown(page, '.component[data-component=scheduler][data-state=running]')
        await shown(page, f'.node .pod[data-key="{ns}/waiting"]', 90)
    finally:
        await cluster.kubelab("start", "scheduler")


async def test_partitioning_a_node_turns_it_not_ready_on_the_page(page, cluster, artifacts):
    try:
        await act(page, "node-2", "partition")
        await shown(page, '.component[data-component=node-2][data-state*=partitioned]')
        node = await shown(page, '.node[data-node=node-2][data-status^=NotReady]', 60)
        assert "NotReady" in await node.inner_text()
        assert await page.get_attribute('.node[data-node=node-1]', "data-status") == "Ready"
        await page.screenshot(path=str(artifacts / "node-2-partitioned.png"))
        await act(page, "node-2", "heal")
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


async def test_pausing_and_resuming_a_controller_from_the_page_with_the_keyboard(page, cluster):
    chip = '.component[data-component=replicaset]'
    try:
        await page.focus(f"{chip} summary")  # the menu opens with Enter and its verbs take the focus by Tab
        await page.keyboard.press("Enter")
        await shown(page, f"{chip} details[open]")
        # the chip is redrawn on every Lease renewal, yet the open menu stays open
        drawn = await page.evaluate("window.kubelabUI.trace.length")
        await page.wait_for_function("""(n) => window.kubelabUI.trace.slice(n)
            .some(([, key, view]) => key === 'Component:replicaset' && view)""", arg=drawn)
        assert await page.locator(f"{chip} details[open]").count() == 1
        for _ in range(len("kill start pause".split())):
            await page.keyboard.press("Tab")
            if await page.evaluate("document.activeElement.dataset.verb") == "pause":
                break
        assert await page.evaluate("document.activeElement.getAttribute('aria-label')") == "pause replicaset"
        await page.keyboard.press("Enter")
        paused = await shown(page, f"{chip}[data-state*=paused]")
        assert "paused" in await paused.inner_text()
        assert "paused" in await ps_state(cluster, "replicaset")
        await shown(page, f"{chip} details:not([open])")  # done: the menu closes, the focus back on it
        await act(page, "replicaset", "resume")
        running = await shown(page, f"{chip}[data-state=running]")
        assert "running" in await running.inner_text()
        assert await ps_state(cluster, "replicaset") == "running"
        await page.fill("#event-filter", "component/replicaset")
        text = await (await shown(page, '#events .change[data-kind=Component]:has-text("resumed")')).inner_text()
        assert "resumed (SIGCONT)" in text
        assert "paused (SIGSTOP)" in await page.inner_text("#events")
    finally:
        await cluster.kubelab("resume", "replicaset", check=False)


async def test_a_lecture_scene_is_readable_at_1280x720(page, cluster, ns, apply, artifacts):
    """Three replicas on one ReadWriteOnce network disk: two wait with the Multi-Attach error. The header
    with every process stays short and its text large; screenshots for the docs (docs/ui.png)."""
    await apply(f"""
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {{name: shared-disk}}
        spec: {{storageClassName: network-disk, accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Mi}}}}}}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: web}}
        spec:
          replicas: 3
          selector: {{matchLabels: {{app: web}}}}
          template:
            metadata: {{labels: {{app: web}}}}
            spec:
              terminationGracePeriodSeconds: 1
              containers: [{{name: app, image: {PAUSE}}}]
              volumes: [{{name: data, persistentVolumeClaim: {{claimName: shared-disk}}}}]
        """)
    await shown(page, f'.pod[data-key^="{ns}/web-"] .blocked[data-reason=FailedAttachVolume]', 90)
    components = await page.locator(".component").count()
    assert components >= 12, components
    header = await page.evaluate("document.querySelector('header').getBoundingClientRect().height")
    assert header <= 100, f"the header takes {header} of 720 px"
    sizes = await page.evaluate("""() => {
        const px = (sel) => [...document.querySelectorAll(sel)].map((e) => parseFloat(getComputedStyle(e).fontSize));
        return {state: px('.component .state'), verb: px('.verb'), strip: px('#events li'), pod: px('.pod .state')};
    }""")
    for part, found in sizes.items():
        assert found and min(found) >= 13, (part, found)
    await page.screenshot(path=str(artifacts / "lecture.png"))
    await page.click('.component[data-component=scheduler] summary')
    await shown(page, '.component[data-component=scheduler] .verbs button.verb[data-verb=kill]')
    await page.screenshot(path=str(artifacts / "lecture-menu.png"))
