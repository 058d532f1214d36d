module kwitness.test/gostack

go 1.19
