"""Volumes with a real kubelet: the seed's random-number generator on hostPath and on claims, a network disk
that waits for its VolumeAttachment, emptyDir, subPath and readOnly."""
from __future__ import annotations

import textwrap

from kubelab.api.v1 import storage_pb2
from services.kubelet.volumes import NETWORK_DISK_DRIVER, attachment_name
from tests.integration.kubelet.kubelet_support import container_state, pod_events, wait_for, wait_gone, wait_pod
from tests.integration.kubelet.conftest import ATTACH_MOUNT_TIMEOUT

RNG_COMMAND = '["/bin/sh","-c","while true; do shuf -i 0-100 -n 1 >> /opt/number.txt; sleep 1; done"]'


def rng_pod(name: str, volume: str, command: str = RNG_COMMAND) -> str:
    return textwrap.dedent(f"""\
        apiVersion: v1
        kind: Pod
        metadata: {{name: {name}}}
        spec:
          nodeName: node-1
          terminationGracePeriodSeconds: 1
          containers:
          - name: rng
            image: busybox
            command: {command}
            volumeMounts: [{{name: data, mountPath: /opt}}]
          volumes:
          - name: data
            {volume}
        """)


def running(pod) -> bool:
    return pod.status.phase == "Running"


def numbers(path) -> list[str]:
    try:
        return path.read_text().split()
    except FileNotFoundError:
        return []


async def bound_claim(client, claim: str, pv_source: str) -> None:
    """A PV and a PVC already bound to each other (the binder's work, done by hand)."""
    pv_name = f"pv-{claim}"
    await client.create_manifest(textwrap.dedent(f"""\
        apiVersion: v1
        kind: PersistentVolume
        metadata: {{name: {pv_name}}}
        spec:
          capacity: {{storage: 1Gi}}
          accessModes: [ReadWriteOnce]
          persistentVolumeReclaimPolicy: Retain
          claimRef: {{namespace: default, name: {claim}}}
          {pv_source}
        """))
    await client.create_manifest(textwrap.dedent(f"""\
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {{name: {claim}}}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {{requests: {{storage: 1Gi}}}}
          storageClassName: ""
          volumeName: {pv_name}
        """), "default")
    pv = await client.get("PersistentVolume", pv_name)
    pv.status.phase = "Bound"
    await client.update_status(pv)


async def set_claim_bound(client, claim: str) -> None:
    pvc = await client.get("PersistentVolumeClaim", claim, "default")
    pvc.status.phase = "Bound"
    pvc.status.access_modes.append("ReadWriteOnce")
    pvc.status.capacity["storage"] = "1Gi"
    await client.update_status(pvc)


async def test_rng_on_host_path_and_a_second_pod_on_the_same_file(node, client):
    await client.create_manifest(rng_pod("rng-a", "hostPath: {path: /mnt/data}"), "default")
    pod = await wait_pod(client, "rng-a", running, what="rng-a Running")
    assert pod.status.pod_ip.startswith(node.node_ip[:-1]) and pod.status.host_ip == node.node_ip
    data = node.root / "mnt" / "data" / "number.txt"
    await wait_for(lambda: len(numbers(data)) >= 2, what="rng-a writing numbers on node-1's /mnt/data")
    assert all(0 <= int(n) <= 100 for n in numbers(data))
    tagged = '["/bin/sh","-c","while true; do echo b:$(shuf -i 0-100 -n 1) >> /opt/number.txt; sleep 1; done"]'
    await client.create_manifest(rng_pod("rng-b", "hostPath: {path: /mnt/data}", tagged), "default")
    await wait_pod(client, "rng-b", running)
    await wait_for(lambda: sum(n.startswith("b:") for n in numbers(data)) >= 2, what="rng-b appending")
    before = len([n for n in numbers(data) if not n.startswith("b:")])
    await wait_for(lambda: len([n for n in numbers(data) if not n.startswith("b:")]) > before,
                   what="rng-a still appending to the same file")


async def test_rng_on_a_local_path_claim(node, client):
    path = "/var/lib/kubelab/local-path/pv-rng-local_default_rng-local"
    await bound_claim(client, "rng-local", f"hostPath: {{path: {path}, type: DirectoryOrCreate}}")
    await set_claim_bound(client, "rng-local")
    await client.create_manifest(rng_pod("rng-claim", "persistentVolumeClaim: {claimName: rng-local}"), "default")
    await wait_pod(client, "rng-claim", running)
    data = node.root / path.lstrip("/") / "number.txt"
    await wait_for(lambda: len(numbers(data)) >= 2, what="numbers in the PV's directory on node-1")


async def test_unbound_claim_waits_in_container_creating(node, client):
    await bound_claim(client, "late", "nfs: {server: shared.kubelab.io, path: /late}")
    await client.create_manifest(rng_pod("rng-late", "persistentVolumeClaim: {claimName: late}"), "default")
    pod = await wait_pod(client, "rng-late", lambda p: container_state(p)[1] == "ContainerCreating")
    assert pod.status.phase == "Pending"
    events = await wait_for(lambda: _events_with(client, "rng-late", "FailedMount"), what="FailedMount event")
    assert "PVC is not bound" in events[0].message and events[0].source.component == "kubelet"
    assert events[0].source.host == "node-1"
    await set_claim_bound(client, "late")
    await wait_pod(client, "rng-late", running, what="rng-late Running once the claim is bound")
    await wait_for(lambda: len(numbers(node.cluster_dir / "shared" / "late" / "number.txt")) >= 1,
                   what="numbers on the shared volume")


async def _events_with(client, name, reason):
    return [e for e in await pod_events(client, name) if e.reason == reason]


async def test_network_disk_mounts_only_once_attached(node, client):
    await bound_claim(client, "disk", f"csi: {{driver: {NETWORK_DISK_DRIVER}, volumeHandle: pv-disk}}")
    await set_claim_bound(client, "disk")
    await client.create_manifest(rng_pod("rng-disk", "persistentVolumeClaim: {claimName: disk}"), "default")
    created = (await wait_pod(client, "rng-disk", lambda p: container_state(p)[1] == "ContainerCreating")
               ).metadata.creation_timestamp.seconds
    va_name = attachment_name("pv-disk", NETWORK_DISK_DRIVER, "node-1")

    async def timed_out():  # the kubelet's claim cache may first still see it unbound
        return [e for e in await _events_with(client, "rng-disk", "FailedMount")
                if "unattached volumes=[data]" in e.message]
    [event] = await wait_for(timed_out, ATTACH_MOUNT_TIMEOUT + 20, what="FailedMount after the attach wait")
    assert event.message == ("Unable to attach or mount volumes: unmounted volumes=[data], unattached "
                             "volumes=[data]: timed out waiting for the condition")
    assert event.first_timestamp.seconds - created >= ATTACH_MOUNT_TIMEOUT - 1  # whole seconds
    va = storage_pb2.VolumeAttachment(api_version="storage.k8s.io/v1", kind="VolumeAttachment")
    va.metadata.name = va_name
    va.spec.attacher, va.spec.node_name = NETWORK_DISK_DRIVER, "node-1"
    va.spec.source.persistent_volume_name = "pv-disk"
    va = await client.create(va)
    va.status.attach_error.message = "Multi-Attach error for volume \"pv-disk\" Volume is already exclusively " \
                                     "attached to one node and can't be attached to another"
    va = await client.update_status(va)
    await wait_for(lambda: _events_with(client, "rng-disk", "FailedAttachVolume"), what="FailedAttachVolume event")
    va.status.attached = True
    va.status.ClearField("attach_error")
    await client.update_status(va)
    await wait_pod(client, "rng-disk", running, what="rng-disk Running once attached")
    await wait_for(lambda: len(numbers(node.cluster_dir / "disks" / "pv-disk" / "number.txt")) >= 1,
                   what="numbers on the network disk")
    node_obj = await wait_for(lambda: _node_using(client, "kubernetes.io/csi/network-disk.kubelab.io^pv-disk"),
                              what="volumesInUse in the node status")
    assert node_obj.metadata.name == "node-1"


async def _node_using(client, volume):
    node = await client.get("Node", "node-1")
    return node if volume in node.status.volumes_in_use else None


async def test_empty_dir_sub_path_and_read_only(node, client):
    manifest = textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: mounts}
        spec:
          nodeName: node-1
          terminationGracePeriodSeconds: 1
          containers:
          - name: c
            image: busybox
            workingDir: /data
            command: ["/bin/sh", "-c", "echo hi > f; echo sub > /sub/g; (echo x > /ro/h) 2>/dev/null && echo rw > ro-result || echo ro > ro-result; hostname > host; echo $HOSTNAME > env-host; grep mounts /etc/hosts > hosts; sleep 1000"]
            volumeMounts:
            - {name: scratch, mountPath: /data}
            - {name: scratch, mountPath: /sub, subPath: nested/dir}
            - {name: scratch, mountPath: /ro, readOnly: true}
          volumes:
          - {name: scratch, emptyDir: {}}
        """)
    pod = await client.create_manifest(manifest, "default")
    pod = await wait_pod(client, "mounts", running)
    vol = node.root / "var/lib/kubelet/pods" / pod.metadata.uid / "volumes/kubernetes.io~empty-dir/scratch"
    await wait_for(lambda: (vol / "hosts").is_file() and (vol / "hosts").read_text(), what="the container's output")
    assert (vol / "f").read_text() == "hi\n"
    assert (vol / "nested" / "dir" / "g").read_text() == "sub\n"
    assert (vol / "ro-result").read_text() == "ro\n"
    assert (vol / "host").read_text() == "mounts\n" and (vol / "env-host").read_text() == "mounts\n"
    assert (vol / "hosts").read_text() == f"{pod.status.pod_ip}\tmounts\n"
    await client.delete("Pod", "mounts", "default")
    await wait_gone(client, "Pod", "mounts")
    assert not vol.exists()
