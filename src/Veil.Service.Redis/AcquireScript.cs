using System.Security.Cryptography;
using System.Text;

namespace Veil.Service.Redis;

/// <summary>
/// The Lua script of one acquire, atomic on the Redis server. KEYS: the client's hash, its per-key counts. ARGV: items,
/// floats, item burst, items per second, float burst, floats per second, max items, max floats, key quota, most keys
/// (-1 for a limit not set), then the hashed derived keys (only with a key quota). Returns 0 when taken, else the code
/// of the first limit that refused (1 item rate, 2 float rate, 3 item quota, 4 float quota, 5 too many keys, 6 more
/// than a key quota on a new key, 7 a key quota used up), having written nothing.
/// </summary>
internal static class AcquireScript
{
    public const string Text = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
        local items, floats = tonumber(ARGV[1]), tonumber(ARGV[2])
        local burst, rate = tonumber(ARGV[3]), tonumber(ARGV[4])
        local fburst, frate = tonumber(ARGV[5]), tonumber(ARGV[6])
        local maxItems, maxFloats = tonumber(ARGV[7]), tonumber(ARGV[8])
        local keyQuota, maxKeys = tonumber(ARGV[9]), tonumber(ARGV[10])
        local s = redis.call('HMGET', KEYS[1], 'tokens', 'floatTokens', 'at', 'used', 'usedFloats')
        local elapsed = now - (tonumber(s[3]) or now)
        if elapsed < 0 then elapsed = 0 end
        local tokens, ftokens = tonumber(s[1]), tonumber(s[2])
        if burst >= 0 then
          tokens = math.min(burst, (tokens or burst) + elapsed * rate)
          if items > tokens then return 1 end
        end
        if fburst >= 0 then
          ftokens = math.min(fburst, (ftokens or fburst) + elapsed * frate)
          if floats > ftokens then return 2 end
        end
        local used, usedFloats = tonumber(s[4]) or 0, tonumber(s[5]) or 0
        if maxItems >= 0 and used + items > maxItems then return 3 end
        if maxFloats >= 0 and usedFloats + floats > maxFloats then return 4 end
        local n = #ARGV - 10
        if keyQuota >= 0 and n > 0 then
          local counts = redis.call('HMGET', KEYS[2], unpack(ARGV, 11))
          local added, known = 0, nil
          for i = 1, n do
            local u = tonumber(counts[i])
            if u == nil then
              added = added + 1
              known = known or redis.call('HLEN', KEYS[2])
              if known + added > maxKeys then return 5 end
              if items > keyQuota then return 6 end
            elseif u + items > keyQuota then
              return 7
            end
          end
        end
        local fields = {'at', string.format('%.17g', now), 'used', string.format('%d', used + items), 'usedFloats', string.format('%d', usedFloats + floats)}
        if burst >= 0 then
          fields[#fields + 1] = 'tokens'
          fields[#fields + 1] = string.format('%.17g', tokens - items)
        end
        if fburst >= 0 then
          fields[#fields + 1] = 'floatTokens'
          fields[#fields + 1] = string.format('%.17g', ftokens - floats)
        end
        redis.call('HSET', KEYS[1], unpack(fields))
        if keyQuota >= 0 then
          for i = 1, n do redis.call('HINCRBY', KEYS[2], ARGV[10 + i], items) end
        end
        return 0
        """;

    /// <summary>The script's SHA-1, as EVALSHA names it (not a security use).</summary>
#pragma warning disable CA5350 // Redis names scripts by SHA-1.
    public static readonly byte[] Sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(Text));
#pragma warning restore CA5350
}
