"""Hook specifications of guanai (marker project name: ``guanai``).

Every hook receives keyword arguments only. Registration hooks receive a
``register`` callback from the core, which validates what is registered and
stamps it with the name of the plugin that registered it.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("guanai")
hookimpl = pluggy.HookimplMarker("guanai")


@hookspec
def register_step_types(register):
    """Register the step types (kinds of record) this plugin provides.

    Call ``register(StepType(...))`` once per step type. A step name already
    registered by another plugin is refused with an error naming both plugins.
    Returns nothing.
    """


@hookspec
def register_settings_model(register):
    """Register the pydantic model that validates this plugin's ``settings:`` block.

    Call ``register(Model)`` at most once. A programme whose ``settings.<plugin>``
    does not pass the model fails ``programme check`` at the offending key.
    Returns nothing.
    """
