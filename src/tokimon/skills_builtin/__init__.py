"""The skills tokimon ships with: one module per skill, entries in ``manifest.json``.

Each module's entry is ``run(args, ctx)`` (see :class:`tokimon.skills.SkillContext`); each
has its self-test in ``tests/`` (shipped with the package, so ``tokimon skills test NAME``
works anywhere), which builds a small real repository and calls the skill on it.
"""
