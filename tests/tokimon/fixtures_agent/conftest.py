"""The fixture repositories hold failing tests on purpose: the agent's tests copy them to a
temporary folder and let the agent fix them there. The project's own test run skips them."""

collect_ignore_glob = ["*_repo"]
