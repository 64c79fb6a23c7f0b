-- The redirect landing with a fresh random code on every request, as strangers' links would be.
dofile("bench/wrk/report.lua")
count_statuses()

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

function init(args)
  math.randomseed(os.time() * 100 + id)
end

function request()
  local code = {}
  for i = 1, 22 do
    local n = math.random(1, #alphabet)
    code[i] = alphabet:sub(n, n)
  end
  return wrk.format("GET", "/signup?code=" .. table.concat(code))
end
