-- GET the path given on the command line, counting answers by status.
dofile("bench/wrk/report.lua")
