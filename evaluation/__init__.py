"""Evaluation of models that write Go tests: generation, logs, metrics, tables and plots.

eval.py runs an evaluation and writes its logs; eval_analyzer.ipynb reads them back through the
same modules, so that the printed table and the notebook always agree.
"""
