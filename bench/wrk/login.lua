-- A login storm from many addresses: every request a different unknown email from a different
-- client address (X-Forwarded-For, the server trusting 127.0.0.1 as its proxy), so neither the
-- per-account nor the per-address brakes stop it and every attempt reaches password hashing.
dofile("bench/wrk/report.lua")
count_statuses()

local n = 0

function init(args)
  math.randomseed(os.time() * 100 + id)
end

function request()
  n = n + 1
  local body = "email=storm" .. id .. "-" .. n .. "%40bench.example&password=not-the-password-1"
  local address = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format("POST", "/api/log_in", {
    ["content-type"] = "application/x-www-form-urlencoded",
    ["accept"] = "application/json",
    ["sec-fetch-site"] = "same-origin",
    ["x-forwarded-for"] = address,
  }, body)
end
