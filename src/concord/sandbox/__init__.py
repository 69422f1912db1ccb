"""Concord sandbox: local emulators of the platforms Concord speaks to, a firm generator, a business
simulator and fault injection.

The sandbox never imports the engine and the engine never imports the sandbox; the generator may use
``concord.domain`` for its vocabulary only.
"""
