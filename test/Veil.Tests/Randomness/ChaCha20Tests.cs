using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;
using CsCheck;
using Veil.Randomness;

namespace Veil.Tests.Randomness;

public class ChaCha20Tests
{
    private const ulong TwoTo32 = 1UL << 32;

    // The SIMD kernels, each forced on its own; each writes every block (a last partial group via a stack buffer).
    private delegate int Kernel(in ChaChaKey key, ulong firstBlock, Span<uint> output);

    private static readonly (string Name, bool Supported, int Width, Kernel Run)[] s_kernels =
    [
        ("Vector512", Avx512F.IsSupported, 16, ChaCha20.GenerateBlocksAvx512),
        ("Vector256", Avx2.IsSupported, 8, ChaCha20.GenerateBlocksAvx2),
        ("Vector256 without VL", Avx2.IsSupported, 8, ChaCha20.GenerateBlocksAvx2NoVL),
    ];

    // RFC 8439 Appendix A.1: all-zero nonce, so "counter c" is our 64-bit block c.
    [Theory]
    [InlineData(
        "0000000000000000000000000000000000000000000000000000000000000000", 0UL,
        "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586")]
    [InlineData(
        "0000000000000000000000000000000000000000000000000000000000000000", 1UL,
        "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f")]
    [InlineData(
        "0000000000000000000000000000000000000000000000000000000000000001", 1UL,
        "3aeb5224ecf849929b9d828db1ced4dd832025e8018b8160b82284f3c949aa5a8eca00bbb4a73bdad192b5c42f73f2fd4e273644c8b36125a64addeb006c13a0")]
    [InlineData(
        "00ff000000000000000000000000000000000000000000000000000000000000", 2UL,
        "72d54dfbf12ec44b362692df94137f328fea8da73990265ec1bbbea1ae9af0ca13b25aa26cb4a648cb9b9d1be65b2c0924a66c54d545ec1b7374f4872e99f096")]
    public void Rfc8439KeystreamVector_MatchesScalarAndEveryWidth(string keyHex, ulong counter, string expectedHex)
    {
        ChaChaKey key = ChaChaKey.FromBytes(Convert.FromHexString(keyHex));
        byte[] expected = Convert.FromHexString(expectedHex);

        uint[] scalar = new uint[16];
        ChaCha20.GenerateBlockScalar(key, counter, scalar);
        Assert.Equal(expected, ToBytes(scalar));

        // The vector as the first block of a 70-block request …
        uint[] many = new uint[70 * 16];
        ChaCha20.GenerateBlocks(key, counter, many);
        Assert.Equal(expected, ToBytes(many.AsSpan(0, 16)));

        // … and at every lane position of every kernel: start the request earlier so the vector lands in lane i.
        foreach ((string name, bool supported, int width, Kernel run) in s_kernels)
        {
            if (!supported)
            {
                continue;
            }

            for (int lane = 0; lane < width && (ulong)lane <= counter; lane++)
            {
                uint[] output = new uint[width * 16];
                Assert.Equal(width, run(key, counter - (ulong)lane, output));
                Assert.True(expected.AsSpan().SequenceEqual(ToBytes(output.AsSpan(lane * 16, 16))), $"{name}, lane {lane}");
            }
        }
    }

    [Fact]
    public void SeedOneKeystream_MatchesAlloySpec()
    {
        byte[] seed = Convert.FromHexString("ead81d725d26104e899c3bf842ce782ebad303da9997d2c2120256ac7366fb1b");
        byte[] expectedStart =
        [
            154, 55, 68, 80, 69, 96, 99, 158, 198, 112, 183, 161, 125, 73, 43, 39, 62, 7, 123, 10, 150, 190, 245, 139,
            167, 118, 7, 121, 229, 68, 84, 110, 0, 14, 254, 200, 124, 87, 73, 236, 17, 87, 145, 46, 14, 23, 31, 96,
            222, 158, 83, 65, 52, 136, 25, 162,
        ];

        Span<byte> derived = stackalloc byte[32];
        SeedFromU64.Expand(1, derived);
        Assert.Equal(seed, derived.ToArray());

        uint[] output = new uint[16 * 16];
        ChaCha20.GenerateBlocks(ChaChaKey.FromBytes(seed), 0, output);
        Assert.Equal(expectedStart, ToBytes(output)[..expectedStart.Length]);

        uint[] scalar = new uint[16];
        ChaCha20.GenerateBlockScalar(ChaChaKey.FromBytes(seed), 0, scalar);
        Assert.Equal(expectedStart, ToBytes(scalar)[..expectedStart.Length]);
    }

    [Fact]
    public void GenerateBlocks_MatchesScalar_ForRandomKeysCountersAndLengths()
    {
        GenCase().Sample(c =>
        {
            uint[] expected = Reference(c.Key, c.FirstBlock, c.Blocks);
            uint[] actual = new uint[c.Blocks * 16];
            ChaCha20.GenerateBlocks(c.Key, c.FirstBlock, actual);
            return expected.AsSpan().SequenceEqual(actual);
        }, iter: 2000);
    }

    [Fact]
    public void EachVectorWidth_MatchesScalar_ForRandomKeysCountersAndLengths()
    {
        foreach ((string name, bool supported, _, Kernel run) in s_kernels)
        {
            if (!supported)
            {
                continue;
            }

            GenCase().Sample(c =>
            {
                uint[] expected = Reference(c.Key, c.FirstBlock, c.Blocks);
                uint[] actual = new uint[c.Blocks * 16];
                int written = run(c.Key, c.FirstBlock, actual);
                return written == c.Blocks && expected.AsSpan().SequenceEqual(actual);
            }, iter: 1000);
        }
    }

    [Theory]
    [InlineData(TwoTo32 - 1)]
    [InlineData(TwoTo32 - 5)]
    [InlineData(TwoTo32 - 15)]
    [InlineData((2 * TwoTo32) - 9)]
    [InlineData(ulong.MaxValue)]
    [InlineData(ulong.MaxValue - 7)]
    [InlineData(ulong.MaxValue - 20)]
    public void CounterCarry_AcrossLanes_MatchesScalar(ulong firstBlock)
    {
        ChaChaKey key = ChaChaKey.FromBytes(Enumerable.Range(1, 32).Select(i => (byte)(i * 37)).ToArray());
        foreach (int blocks in new[] { 8, 16, 24, 32, 48 })
        {
            uint[] actual = new uint[blocks * 16];
            ChaCha20.GenerateBlocks(key, firstBlock, actual);
            Assert.Equal(Reference(key, firstBlock, blocks), actual);
        }

        foreach ((string name, bool supported, int width, Kernel run) in s_kernels)
        {
            if (!supported)
            {
                continue;
            }

            // Two whole groups and a partial one.
            int blocks = (width * 2) + 3;
            uint[] actual = new uint[blocks * 16];
            Assert.Equal(blocks, run(key, firstBlock, actual));
            Assert.True(Reference(key, firstBlock, blocks).AsSpan().SequenceEqual(actual), name);
        }
    }

    [Fact]
    public void GenerateBlocks_RejectsPartialBlocks()
    {
        ChaChaKey key = default;
        Assert.Throws<ArgumentException>(() => ChaCha20.GenerateBlocks(key, 0, new uint[17]));
    }

    [Fact]
    public void Stream_NextUInt64_AcrossRefill_JoinsWordsLowFirst()
    {
        byte[] seed = Enumerable.Range(0, 32).Select(i => (byte)(200 - i)).ToArray();
        uint[] words = Words(seed, 64);

        // Offsets 15 / 31 put the u64 across a 16-word buffer refill.
        foreach (int offset in new[] { 0, 1, 14, 15, 16, 31 })
        {
            ChaCha20Stream stream = new(seed, new uint[16]);
            for (int i = 0; i < offset; i++)
            {
                Assert.Equal(words[i], stream.NextUInt32());
            }

            Assert.Equal(words[offset] | ((ulong)words[offset + 1] << 32), stream.NextUInt64());
            Assert.Equal(words[offset + 2], stream.NextUInt32());
            Assert.Equal((ulong)offset + 3, stream.WordPosition);
        }
    }

    [Fact]
    public void Stream_FillBytes_DiscardsPartialLastWord()
    {
        byte[] seed = Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray();
        uint[] words = Words(seed, 32);
        byte[] keystream = ToBytes(words);

        ChaCha20Stream stream = new(seed, new uint[16]);
        byte[] first = new byte[6];
        stream.FillBytes(first);
        Assert.Equal(keystream[..6], first);

        // Bytes 6 and 7 (the rest of word 1) are gone: the next read is word 2.
        Assert.Equal(words[2], stream.NextUInt32());

        // A 12-byte IV is exactly three words; 61 bytes across the refill take 16 words.
        byte[] iv = new byte[12];
        stream.FillBytes(iv);
        Assert.Equal(keystream[12..24], iv);
        byte[] longer = new byte[61];
        stream.FillBytes(longer);
        Assert.Equal(keystream[24..85], longer);
        Assert.Equal(words[22], stream.NextUInt32());
    }

    [Fact]
    public void Stream_ConstructedAtWordPosition_ContinuesSameStream()
    {
        byte[] seed = Enumerable.Range(0, 32).Select(i => (byte)(i ^ 0x5a)).ToArray();
        uint[] words = Words(seed, 256);

        foreach (int bufferBlocks in new[] { 1, 4, 16 })
        {
            foreach (int position in new[] { 0, 1, 15, 16, 17, 63, 64, 100, 130 })
            {
                ChaCha20Stream stream = new(seed, new uint[bufferBlocks * 16], (ulong)position);
                Assert.Equal((ulong)position, stream.WordPosition);
                for (int i = position; i < position + 100; i++)
                {
                    Assert.Equal(words[i], stream.NextUInt32());
                }

                Assert.Equal((ulong)position + 100, stream.WordPosition);
            }
        }
    }

    [Fact]
    public void Stream_AvailableAndAdvance_ReadTheSameWords()
    {
        byte[] seed = new byte[32];
        uint[] words = Words(seed, 64);
        ChaCha20Stream stream = new(seed, new uint[32]);
        ReadOnlySpan<uint> available = stream.Available;
        Assert.Equal(words.AsSpan(0, 32).ToArray(), available.ToArray());
        stream.Advance(30);
        Assert.Equal(words[30] | ((ulong)words[31] << 32), stream.NextUInt64());
        Assert.Equal(words.AsSpan(32, 32).ToArray(), stream.Available.ToArray());
    }

    private sealed record Case(ChaChaKey Key, ulong FirstBlock, int Blocks)
    {
        public override string ToString()
        {
            ChaChaKey key = Key;
            string words = string.Join(",", Enumerable.Range(0, 8).Select(i => key[i].ToString("x8")));
            return $"key [{words}], first block {FirstBlock}, {Blocks} blocks";
        }
    }

    /// <summary>Random keys and lengths 1..70; counters anywhere, or just below 2^32, 2·2^32 or 2^64 so lanes carry or wrap.</summary>
    private static Gen<Case> GenCase() =>
        Gen.Select(
            Gen.UInt.Array[8],
            Gen.OneOf(
                Gen.ULong,
                Gen.ULong[TwoTo32 - 80, TwoTo32 + 2],
                Gen.ULong[(2 * TwoTo32) - 80, 2 * TwoTo32],
                Gen.ULong[ulong.MaxValue - 80, ulong.MaxValue]),
            Gen.Int[1, 70],
            (keyWords, firstBlock, blocks) =>
            {
                ChaChaKey key = default;
                for (int i = 0; i < 8; i++)
                {
                    key[i] = keyWords[i];
                }

                return new Case(key, firstBlock, blocks);
            });

    private static uint[] Reference(in ChaChaKey key, ulong firstBlock, int blocks)
    {
        uint[] output = new uint[blocks * 16];
        for (int b = 0; b < blocks; b++)
        {
            ChaCha20.GenerateBlockScalar(key, unchecked(firstBlock + (ulong)b), output.AsSpan(b * 16, 16));
        }

        return output;
    }

    private static uint[] Words(byte[] seed, int count) => Reference(ChaChaKey.FromBytes(seed), 0, count / 16);

    private static byte[] ToBytes(ReadOnlySpan<uint> words)
    {
        byte[] bytes = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        }

        return bytes;
    }
}
