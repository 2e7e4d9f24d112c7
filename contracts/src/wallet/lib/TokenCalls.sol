// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title TokenCalls
/// @notice Reads the amount of a token that a call moves out of (or exposes from) an account: ERC-20 `transfer`,
///         `approve`, `increaseAllowance`, `transferFrom(account, …)`, EIP-3009 `transferWithAuthorization` /
///         `receiveWithAuthorization` (both overloads, `from == account`) and EIP-2612 `permit(account, …)`.
/// @dev A spend selector whose arguments are too short counts as an unbounded spend, so a malformed call can never
///      slip under a cap.
library TokenCalls {
    bytes4 internal constant TRANSFER = bytes4(keccak256("transfer(address,uint256)"));
    bytes4 internal constant APPROVE = bytes4(keccak256("approve(address,uint256)"));
    bytes4 internal constant INCREASE_ALLOWANCE = bytes4(keccak256("increaseAllowance(address,uint256)"));
    bytes4 internal constant TRANSFER_FROM = bytes4(keccak256("transferFrom(address,address,uint256)"));
    bytes4 internal constant TRANSFER_WITH_AUTHORIZATION =
        bytes4(keccak256("transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)"));
    bytes4 internal constant TRANSFER_WITH_AUTHORIZATION_BYTES =
        bytes4(keccak256("transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"));
    bytes4 internal constant RECEIVE_WITH_AUTHORIZATION =
        bytes4(keccak256("receiveWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)"));
    bytes4 internal constant RECEIVE_WITH_AUTHORIZATION_BYTES =
        bytes4(keccak256("receiveWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"));
    bytes4 internal constant PERMIT =
        bytes4(keccak256("permit(address,address,uint256,uint256,uint8,bytes32,bytes32)"));

    /// @notice The selector of `data` (zero for empty calldata); `ok == false` for 1–3 bytes of calldata.
    function selectorOf(bytes memory data) internal pure returns (bytes4 sel, bool ok) {
        if (data.length == 0) return (bytes4(0), true);
        if (data.length < 4) return (bytes4(0), false);
        assembly ("memory-safe") {
            sel := mload(add(data, 32))
        }
        return (sel, true);
    }

    /// @notice The `i`-th 32-byte argument word of `data`; `ok == false` when `data` is too short.
    function word(bytes memory data, uint256 i) internal pure returns (bytes32 w, bool ok) {
        uint256 off = 4 + 32 * i;
        if (data.length < off + 32) return (bytes32(0), false);
        assembly ("memory-safe") {
            w := mload(add(add(data, 32), off))
        }
        return (w, true);
    }

    /// @notice How much of token `target` the call `data` spends from `account` (zero when it is no spend).
    function spendOf(bytes memory data, address account) internal pure returns (uint256) {
        (bytes4 sel, bool ok) = selectorOf(data);
        if (!ok || sel == bytes4(0)) return 0;
        if (sel == TRANSFER || sel == APPROVE || sel == INCREASE_ALLOWANCE) return _amount(data, 1);
        if (
            sel == TRANSFER_FROM || sel == TRANSFER_WITH_AUTHORIZATION || sel == TRANSFER_WITH_AUTHORIZATION_BYTES
                || sel == RECEIVE_WITH_AUTHORIZATION || sel == RECEIVE_WITH_AUTHORIZATION_BYTES || sel == PERMIT
        ) {
            (bytes32 from, bool has) = word(data, 0);
            if (!has) return type(uint256).max;
            // Compare the low 160 bits: a token that masks dirty high bits must still be counted.
            if (address(uint160(uint256(from))) != account) return 0;
            return _amount(data, 2);
        }
        return 0;
    }

    function _amount(bytes memory data, uint256 i) private pure returns (uint256) {
        (bytes32 w, bool ok) = word(data, i);
        return ok ? uint256(w) : type(uint256).max;
    }
}
