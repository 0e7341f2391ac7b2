"""delete's pure parts: --cascade read as kubectl reads it."""

import pytest

from kubelab.cli.cmd.delete import propagation_policy
from kubelab.cli.session import CliError


@pytest.mark.parametrize("value, policy", [("background", "Background"), ("foreground", "Foreground"),
                                           ("orphan", "Orphan")])
def test_cascade_modes(value, policy):
    assert propagation_policy(value) == (policy, None)


@pytest.mark.parametrize("value, policy, mode", [
    ("true", "Background", "background"), ("1", "Background", "background"),
    ("false", "Orphan", "orphan"), ("F", "Orphan", "orphan")])
def test_cascade_booleans_are_deprecated(value, policy, mode):
    assert propagation_policy(value) == (
        policy, f"warning: --cascade={value} is deprecated (boolean value) and can be replaced with --cascade={mode}.")


@pytest.mark.parametrize("value", ["Orphan", "yes", ""])
def test_cascade_invalid(value):
    with pytest.raises(CliError) as e:
        propagation_policy(value)
    assert str(e.value) == (f'error: invalid cascade value ({value}). Must be "background", "foreground", '
                            'or "orphan".')
