package wasmgate.lib.quantity_test

import data.wasmgate.lib.quantity

_equal(a, b) if quantity.parse(a) == quantity.parse(b)

test_cpu_forms if {
	quantity.parse("500m") == {"units": 0, "nanos": 500000000}
	_equal("0.5", "500m")
	_equal("0.1", "100m")
	_equal(".5", "500m")
	_equal("+1", "1000m")
	_equal("5.", "5")
	_equal("1e3", "1000")
	_equal("1E3", "1k")
	_equal("1e-3", "1m")
	_equal("1e+3", "1000")
	_equal("2000n", "2u")
	_equal(1, "1")
	_equal(0.5, "500m")
	_equal(1.5, "1500m")
	_equal(0, "0")
}

test_memory_forms if {
	quantity.parse("128Mi").units == 134217728
	quantity.parse("1G").units == 1000000000
	quantity.parse("1.5Gi") == {"units": 1610612736, "nanos": 0}
	_equal("1Gi", "1024Mi")
	_equal("1Ki", "1024")
	_equal("1Ti", "1024Gi")
	_equal("1Pi", "1024Ti")
	_equal("1M", "1000k")
	_equal("1T", "1000G")
	_equal("1P", "1000T")
	quantity.parse("0.5Ki") == {"units": 512, "nanos": 0}
	quantity.parse("0.1Ki") == {"units": 102, "nanos": 400000000}
}

test_zero_and_trailing_zeros if {
	quantity.parse("000") == {"units": 0, "nanos": 0}
	quantity.parse("0.000") == {"units": 0, "nanos": 0}
	_equal("1000000000000000000n", "1G")
	_equal("100.000", "100")
}

test_rounds_up_to_nano if {
	quantity.parse("0.0000000001") == {"units": 0, "nanos": 1}
	quantity.parse("0.0000000015") == {"units": 0, "nanos": 2}
	quantity.parse("1e-12") == {"units": 0, "nanos": 1}
	quantity.parse("1e-30") == {"units": 0, "nanos": 1}
	quantity.parse("0.9999999999") == {"units": 1, "nanos": 0}
	quantity.parse(0.0000000001) == {"units": 0, "nanos": 1}
	quantity.parse(2.675) == {"units": 2, "nanos": 675000000}
}

test_negative_zero_is_zero if {
	every q in ["-0", "-0.0", "-.0", "-0m", "-0Gi", "-0e3", "-000"] {
		quantity.parse(q) == {"units": 0, "nanos": 0}
	}
	every q in ["-1", "-0.1", "-1e-30", "-+0", "--0"] {
		not quantity.valid(q)
	}
}

test_invalid if {
	every q in ["", "12XB", "1 Gi", "e3", "1e", "-1", "1.5.5", "Gi", "1KI", "0x10", "1E", "1Ei", "8Pi", "1e16", "1234567890123456", null, true, [], -1, 9007199254740993] {
		not quantity.valid(q)
	}
}

test_valid if {
	every q in ["1", "100m", "1.5Gi", "123456789012345", "7Pi", "1e15", 1, 0.25] {
		quantity.valid(q)
	}
}

test_less if {
	quantity.less(quantity.parse("100m"), quantity.parse("0.2"))
	quantity.less(quantity.parse("1Gi"), quantity.parse("1025Mi"))
	quantity.less(quantity.parse("1"), quantity.parse("1.000000001"))
	not quantity.less(quantity.parse("1Gi"), quantity.parse("1024Mi"))
	not quantity.less(quantity.parse("1024Mi"), quantity.parse("1Gi"))
	not quantity.less(quantity.parse("2"), quantity.parse("1999m"))
}
