"""Recipes: whole training pipelines over the gatedkeras layers.

Each recipe is a short package over the library with a config, its data,
its model, `train()`, inference and pretrained presets.
"""
