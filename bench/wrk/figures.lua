-- B7: each request reads the national figures (GET /api/v1/figures) as the ministry,
-- the same request every time (formatted once per thread). Argument after `--`: the
-- bearer token.
local prepared

init = function(args)
  prepared = wrk.format("GET", "/api/v1/figures", {["Authorization"] = "Bearer " .. args[1]})
end

request = function()
  return prepared
end
