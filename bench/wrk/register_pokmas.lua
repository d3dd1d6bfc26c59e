-- B2: each request registers a new Pokmas (POST /api/v1/pokmas), sent by the officers
-- of the offices in turn. Arguments after `--`: a skill code, then pairs of a Bapas
-- code and the bearer token of one of its officers.
local skill
local offices = {}
local counter = 0
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

init = function(args)
  skill = args[1]
  for i = 2, #args, 2 do
    offices[#offices + 1] = {bapas = args[i], token = args[i + 1]}
  end
  -- Threads start at different offices, so their requests rarely meet at one.
  counter = thread_number * math.floor(#offices / 2)
end

request = function()
  counter = counter + 1
  local office = offices[counter % #offices + 1]
  local body = string.format(
    '{"bapas_code": "%s", "name": "Pokmas Bench %d-%d", "kind": "organisation", ' ..
    '"contact": {"name": "Kontak", "phone": "+62 812 0000 0000", ' ..
    '"email": "kontak@pokmas.example"}, "address": "Jl. Contoh 1", "skills": ["%s"]}',
    office.bapas, thread_number, counter, skill)
  return wrk.format("POST", "/api/v1/pokmas",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. office.token},
    body)
end
