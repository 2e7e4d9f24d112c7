// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {console2} from "forge-std/console2.sol";

import {X402Settlement} from "../../src/pay/X402Settlement.sol";
import {PayTestBase} from "./utils/PayTestBase.sol";

/// @notice Per-payment gas of settling x402 payments, as whole transactions, for the README figures.
/// @dev Method. For each case the test builds the exact calldata a relayer would send, marks every account and
///      storage slot the transaction touches as cold (`vm.cool`: token, settlement, identity registry, payers,
///      payee), makes one call and reads the callee's execution gas with `vm.lastCallGas().gasTotalUsed` (the gas
///      of the called frame: what a transaction to that address executes). The transaction figure adds the
///      intrinsic 21,000 and the calldata cost (4 gas per zero byte, 16 per non-zero byte; EIP-7623's floor of
///      21,000 + 10 per token is computed too and never binds here). No refund arises in these cases (no slot
///      returns to its original value). Per-payment gas = transaction gas / payments.
///      Baseline: a relayer's lone `transferWithAuthorization` (65-byte v,r,s overload, as the official x402
///      facilitator sends for an EOA) of a payer with a balance to a payee with a balance, fresh random nonce.
///      Batches: 100 payments, all to the same agent (payee with a balance), nonces random (keccak of an index,
///      as x402 clients draw them), `bytes` signatures of 65 bytes; once from 100 distinct payers, once from 1.
contract X402SettlementGasTest is PayTestBase {
    uint256 internal constant N = 100;
    uint256 internal constant BASE_PK = 0x5000;

    struct TxGas {
        uint256 execution;
        uint256 calldataGas;
        uint256 floorGas;
        uint256 total;
    }

    function setUp() public {
        _deployPay();
        _fund(payee, 1e6);
        for (uint256 i; i < N; ++i) {
            _fund(vm.addr(BASE_PK + i), 100e6);
        }
        _fund(vm.addr(BASE_PK), 1_000e6); // the single payer of the one-payer batches
    }

    function _coolAll(address[] memory extra) internal {
        vm.cool(address(token));
        vm.cool(address(settlement));
        vm.cool(address(identity));
        vm.cool(payee);
        for (uint256 i; i < extra.length; ++i) {
            vm.cool(extra[i]);
        }
    }

    /// @dev One transaction's gas: 21,000 + calldata + the callee's execution (see the contract's NatSpec).
    function _measure(address target, bytes memory data, address[] memory touched) internal returns (TxGas memory g) {
        _coolAll(touched);
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        g.execution = vm.lastCallGas().gasTotalUsed;
        uint256 tokens;
        for (uint256 i; i < data.length; ++i) {
            if (data[i] == 0) {
                g.calldataGas += 4;
                tokens += 1;
            } else {
                g.calldataGas += 16;
                tokens += 4;
            }
        }
        g.floorGas = 21_000 + 10 * tokens;
        g.total = 21_000 + g.calldataGas + g.execution;
        if (g.floorGas > g.total) g.total = g.floorGas;
    }

    function _log(string memory label, TxGas memory g, uint256 payments) internal pure {
        console2.log(label);
        console2.log("  execution", g.execution);
        console2.log("  calldata ", g.calldataGas);
        console2.log("  tx total ", g.total);
        console2.log("  per payment", g.total / payments);
    }

    function _nonce(uint256 i) internal pure returns (bytes32) {
        return keccak256(abi.encode("nonce", i));
    }

    function _lone() internal returns (TxGas memory g) {
        address from = vm.addr(BASE_PK);
        uint256 validBefore = block.timestamp + 1 hours;
        bytes32 nonce = _nonce(1_000_000); // not one of the batches' nonces
        bytes memory sig = _signTransfer(BASE_PK, from, payee, 1e6, nonce);
        (bytes32 r, bytes32 s) = abi.decode(sig, (bytes32, bytes32));
        uint8 v = uint8(sig[64]);
        bytes memory data = abi.encodeWithSignature(
            "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)",
            from,
            payee,
            1e6,
            0,
            validBefore,
            nonce,
            v,
            r,
            s
        );
        address[] memory touched = new address[](1);
        touched[0] = from;
        vm.prank(relayer);
        g = _measure(address(token), data, touched);
    }

    function _batchOf(bool distinctPayers, bool clustered)
        internal
        view
        returns (bytes memory data, address[] memory touched)
    {
        X402Settlement.Payment[] memory ps = new X402Settlement.Payment[](N);
        touched = new address[](distinctPayers ? N : 1);
        for (uint256 i; i < N; ++i) {
            uint256 pk = BASE_PK + (distinctPayers ? i : 0);
            // Clustered: a random 248-bit prefix per payer session and a counter in the low byte.
            bytes32 nonce = clustered ? bytes32((uint256(_nonce(0)) >> 8 << 8) | i) : _nonce(i);
            ps[i] = _payment(pk, 1e6, nonce);
            if (distinctPayers || i == 0) touched[i] = vm.addr(pk);
        }
        data = abi.encodeCall(X402Settlement.settleBatch, (ps));
    }

    function test_gas_transferWithAuthorization_lone() public {
        TxGas memory g = _lone();
        _log("lone transferWithAuthorization (relayer, v,r,s)", g, 1);
        assertEq(token.balanceOf(payee), 2e6);
    }

    function test_gas_settle_lone() public {
        X402Settlement.Payment memory p = _payment(BASE_PK, 1e6, _nonce(0));
        address[] memory touched = new address[](1);
        touched[0] = p.from;
        TxGas memory g = _measure(address(settlement), abi.encodeCall(X402Settlement.settle, (p)), touched);
        _log("settle, one payment (receipt stored)", g, 1);
        assertEq(token.balanceOf(payee), 2e6);
    }

    function test_gas_settleBatch_100_distinctPayers() public {
        uint256 baseline = _lone().total;
        (bytes memory data, address[] memory touched) = _batchOf(true, false);
        TxGas memory g = _measure(address(settlement), data, touched);
        _log("settleBatch, 100 payments from 100 payers", g, N);
        console2.log("  baseline (lone transferWithAuthorization)", baseline);
        console2.log("  ratio per payment / baseline, x1000", g.total * 1000 / N / baseline);
        assertEq(settlement.batchCount(), 1);
        assertEq(token.balanceOf(payee), 2e6 + N * 1e6);
        assertLt(g.total / N, baseline, "batching must beat a lone transfer");
    }

    function test_gas_settleBatch_100_onePayer() public {
        uint256 baseline = _lone().total;
        (bytes memory data, address[] memory touched) = _batchOf(false, false);
        TxGas memory g = _measure(address(settlement), data, touched);
        _log("settleBatch, 100 payments from 1 payer", g, N);
        console2.log("  baseline (lone transferWithAuthorization)", baseline);
        console2.log("  ratio per payment / baseline, x1000", g.total * 1000 / N / baseline);
        assertEq(token.balanceOf(payee), 2e6 + N * 1e6);
        assertLt(g.total / N, baseline, "batching must beat a lone transfer");
    }

    /// @dev Not what x402 clients do today (they draw 32 random bytes): nonces of one payer sharing their upper
    ///      248 bits share one bitmap slot of SettlementToken, so only the first of each 256 pays the fresh slot.
    function test_gas_settleBatch_100_onePayer_clusteredNonces() public {
        uint256 baseline = _lone().total;
        (bytes memory data, address[] memory touched) = _batchOf(false, true);
        TxGas memory g = _measure(address(settlement), data, touched);
        _log("settleBatch, 100 payments from 1 payer, clustered nonces", g, N);
        console2.log("  ratio per payment / baseline, x1000", g.total * 1000 / N / baseline);
        assertEq(token.balanceOf(payee), 2e6 + N * 1e6);
    }
}
