-- Hint's headless install: POST /hint/connect/<code>, each code used once. Arguments after `--`:
-- the file of codes (one per line) and the number of wrk threads; thread k takes every k-th code.
-- With "direct" and a partner key after them, the codes go straight to Hint's token exchange
-- (`POST /api/oauth/tokens`) instead: what the exchange costs with no app in between.
-- A thread that runs out sends a made-up code, which both programs must refuse or report, so
-- running out shows in the status counts (the script's caller mints more than enough).
dofile("bench/wrk/report.lua")
count_statuses()

local codes, next_code, direct, partner_key = {}, 0, false, nil

function init(args)
  direct = args[3] == "direct"
  partner_key = args[4]
  local threads = tonumber(args[2])
  local line_number = 0
  for line in io.lines(args[1]) do
    if line_number % threads == id - 1 then
      table.insert(codes, line)
    end
    line_number = line_number + 1
  end
end

function request()
  next_code = next_code + 1
  local code = codes[next_code] or ("RanOut" .. id .. "x" .. next_code)
  if direct then
    return wrk.format("POST", "/api/oauth/tokens", {
      ["authorization"] = "Bearer " .. partner_key,
      ["content-type"] = "application/json",
    }, '{"code":"' .. code .. '","grant_type":"authorization_code"}')
  end
  return wrk.format("POST", "/hint/connect/" .. code)
end
