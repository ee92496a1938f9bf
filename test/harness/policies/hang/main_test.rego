package wasmgate.main_test

import data.wasmgate.main

test_decision_is_allowed if main.decision.allowed

test_replace_nothing if main.unchanged(input.s) == "abc" with input.s as "abc"

test_after_the_hang if count(main.config_errors) == 0
