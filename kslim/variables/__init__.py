"""slim's variables API (``tf_slim.ops.variables``) on Keras variables.

One module per idea:

* ``kslim.variables.queries``: a variable's slim name and the collections'
  variables by scope, suffix or regex (``get_variables``, ``filter_variables``);
* ``kslim.variables.creation``: ``variable``, ``model_variable``,
  ``local_variable``, ``global_variable`` (``keras.Variable``s no layer owns,
  listed by ``get_unowned_variables``) and ``VariableDeviceChooser``;
* ``kslim.variables.global_step``: the graph's global step;
* ``kslim.variables.assign``: assignment from values and checkpoints, and
  ``restore_from_slim_checkpoint`` for a Keras model.

This package re-exports slim's names (``slim.variables.X``).
"""

from kslim.variables.assign import (
    assign_from_checkpoint,
    assign_from_checkpoint_fn,
    assign_from_values,
    assign_from_values_fn,
    restore_from_slim_checkpoint,
)
from kslim.variables.creation import (
    UNOWNED_VARIABLES,
    VariableDeviceChooser,
    add_model_variable,
    get_unowned_variables,
    global_variable,
    local_variable,
    model_variable,
    variable,
)
from kslim.variables.global_step import (
    assert_global_step,
    assert_or_get_global_step,
    create_global_step,
    get_global_step,
    get_or_create_global_step,
    register_global_step,
)
from kslim.variables.queries import (
    filter_variables,
    get_local_variables,
    get_model_variables,
    get_trainable_variables,
    get_unique_variable,
    get_variable_full_name,
    get_variables,
    get_variables_by_name,
    get_variables_by_suffix,
    get_variables_to_restore,
)

__all__ = [
    "UNOWNED_VARIABLES",
    "VariableDeviceChooser",
    "add_model_variable",
    "assert_global_step",
    "assert_or_get_global_step",
    "assign_from_checkpoint",
    "assign_from_checkpoint_fn",
    "assign_from_values",
    "assign_from_values_fn",
    "create_global_step",
    "filter_variables",
    "get_global_step",
    "get_local_variables",
    "get_model_variables",
    "get_or_create_global_step",
    "get_trainable_variables",
    "get_unique_variable",
    "get_unowned_variables",
    "get_variable_full_name",
    "get_variables",
    "get_variables_by_name",
    "get_variables_by_suffix",
    "get_variables_to_restore",
    "global_variable",
    "local_variable",
    "model_variable",
    "register_global_step",
    "restore_from_slim_checkpoint",
    "variable",
]
