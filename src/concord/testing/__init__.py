"""Test doubles shipped with Concord: a programmable test connector and the demo flow.

Anyone writing a connector or a flow can use them; Concord's own tests, demo and benchmarks do.
"""
