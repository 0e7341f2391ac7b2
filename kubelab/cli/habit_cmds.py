"""The kubectl verbs students reach for beyond the core ones: label, annotate, taint, patch,
api-resources, explain, edit, cp, port-forward. One module per verb group; this one only registers them."""

from __future__ import annotations

import argparse

from kubelab.cli import label_cmds

__all__ = ["add_commands"]


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    label_cmds.add_commands(subparsers)
