"""Storage rules more than one process reads: the scheduler's VolumeBinding plugin and the
provisioner's PV controller (binder, provisioning, protection, attach/detach).

- `volume.py`: annotations and finalizers, the class of a claim or volume, binding modes, the default
  class, access and volume modes, sizes, whether a claim or volume is bound, a volume's node affinity
  (component-helpers `storage/volume/pv_helpers.go`, `helpers.go`).
- `matching.py`: which volume a claim gets, one function for both processes (FindMatchingVolume),
  the binder's access-mode grouping (findBestMatchForClaim) and checkVolumeSatisfyClaim.
"""
