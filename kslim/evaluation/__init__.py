"""slim.evaluation: evaluate checkpoints once or as they appear, beside training.

``evaluate_once`` and ``evaluation_loop`` keep slim's signatures. For each
checkpoint they restore the variables by slim name, reset every streaming
metric of the graph (slim's ``local_variables_initializer``), run ``num_evals``
batches of ``eval_op`` (usually the update ops of ``aggregate_metric_map``),
write the graph's summaries to ``logdir`` at the checkpoint's global step and
return the value of ``final_op`` with its structure.

The eval ops, and the final/summary tensors that need a batch, are the outputs
of one ``keras.Model`` over the graph's inputs; a compiled ``tf.function``
runs many batches per host call (``tf.while_loop`` over the dataset
iterator), like Keras' ``steps_per_execution``. A streaming metric's value
node (``(value, update_op)``'s ``value``) is read from the metric's state after
the loop, so ``final_op=names_to_values`` never re-applies an update. Other
final/summary tensors take their value on the last batch evaluated.

The data is the dataset bound to the graph's inputs by
``kslim.data.inputs`` (or ``dataset=``); a fresh iterator is made for every
checkpoint, as slim restarted its input queues with every session, and a
finite dataset that runs out before ``num_evals`` ends the evaluation cleanly.

The package's modules, one idea each: ``polling`` (finding checkpoints),
``evaluator`` (the compiled evaluation of one graph), ``driver``
(``evaluate_once`` / ``evaluation_loop``).
"""

from kslim.evaluation.driver import evaluate_once, evaluation_loop
from kslim.evaluation.evaluator import USE_DEFAULT, Evaluator, get_or_create_eval_step
from kslim.evaluation.polling import checkpoints_iterator, wait_for_new_checkpoint

__all__ = [
    "USE_DEFAULT",
    "Evaluator",
    "checkpoints_iterator",
    "evaluate_once",
    "evaluation_loop",
    "get_or_create_eval_step",
    "wait_for_new_checkpoint",
]
