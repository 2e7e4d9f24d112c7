// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @dev TEST-ONLY deterministic string generators for agent URIs.
library IdentityStrings {
    bytes internal constant BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

    /// @dev `length` printable ASCII bytes (0x21..0x7e).
    function printable(uint256 length, uint256 seed) internal pure returns (string memory) {
        bytes memory b = new bytes(length);
        for (uint256 i; i < length; ++i) {
            b[i] = bytes1(uint8(33 + uint256(keccak256(abi.encode(seed, i))) % 94));
        }
        return string(b);
    }

    /// @dev `length` characters of the RFC 4648 lowercase base32 alphabet [a-z2-7].
    function base32(uint256 length, uint256 seed) internal pure returns (string memory) {
        bytes memory b = new bytes(length);
        for (uint256 i; i < length; ++i) {
            b[i] = BASE32[uint256(keccak256(abi.encode(seed, i, "b32"))) % 32];
        }
        return string(b);
    }

    /// @dev "ipfs://" + base32 body of `bodyLength` characters (the registry's packed encoding).
    function ipfs(uint256 bodyLength, uint256 seed) internal pure returns (string memory) {
        return string.concat("ipfs://", base32(bodyLength, seed));
    }

    /// @dev A URI of a kind picked by `seed`: packed-eligible ipfs, ipfs with one foreign character, printable, or
    ///      empty; lengths up to ~`maxLength`.
    function any(uint256 seed, uint256 maxLength) internal pure returns (string memory) {
        uint256 kind = seed % 5;
        uint256 length = (seed >> 8) % (maxLength + 1);
        if (kind == 0) return ipfs(length, seed);
        if (kind == 1) return ipfs(59, seed); // canonical CIDv1 length
        if (kind == 2) {
            bytes memory b = bytes(ipfs(length + 1, seed));
            // Replace one body character by a character outside [a-z2-7] -> must fall back to raw storage.
            bytes memory foreign = "AZ0189/.-_=+:@ \x7f\x80\xff";
            b[7 + (seed >> 64) % (length + 1)] = foreign[(seed >> 96) % foreign.length];
            return string(b);
        }
        if (kind == 3) return printable(length, seed);
        return "";
    }
}
