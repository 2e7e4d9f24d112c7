// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {console2} from "forge-std/console2.sol";

import {IComputeMarket} from "../../src/compute/interfaces/IComputeMarket.sol";
import {ComputeTestBase} from "./utils/ComputeTestBase.sol";

/// @notice Gas of each step of a compute job's lifecycle, as whole transactions, for the README figures.
/// @dev Method (as in X402SettlementGas): every contract the call touches (market, its settlement extension,
///      token, identity and validation registries) is made cold with `vm.cool`, one call is made from the sender a
///      real transaction would have, and the callee frame's execution gas is read with
///      `vm.lastCallGas().gasTotalUsed`. The transaction figure adds the intrinsic 21,000 and the calldata cost (4
///      gas per zero byte, 16 per non-zero byte; EIP-7623's floor of 21,000 + 10 per token applied if it binds).
///      Refunds (slots cleared) are not subtracted. Prices and units as the devnet demo: 3 mUSD max, 1 unit.
contract ComputeMarketGasTest is ComputeTestBase {
    uint256[] internal pids;

    function setUp() public {
        _deployCompute();
        for (uint256 i; i < 5; ++i) {
            pids.push(_provider(address(uint160(0xA000 + i))));
        }
        // a first job, so counters and the poster's credit slot are not being written for the first time
        uint256 warm = _postRedundant(1);
        _bid(warm, pids[4], 1e6);
        _commit(warm, pids[4], GOOD);
    }

    function _measure(string memory label, address sender, bytes memory data) internal returns (uint256 total) {
        vm.cool(address(market));
        vm.cool(market.settlement());
        vm.cool(address(token));
        vm.cool(address(identity));
        vm.cool(address(validation));
        vm.prank(sender);
        (bool ok, bytes memory ret) = address(market).call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        uint256 execution = vm.lastCallGas().gasTotalUsed;
        uint256 calldataGas;
        uint256 tokens;
        for (uint256 i; i < data.length; ++i) {
            if (data[i] == 0) {
                calldataGas += 4;
                tokens += 1;
            } else {
                calldataGas += 16;
                tokens += 4;
            }
        }
        total = 21_000 + calldataGas + execution;
        uint256 floorGas = 21_000 + 10 * tokens;
        if (floorGas > total) total = floorGas;
        console2.log(label);
        console2.log("  execution", execution, "transaction", total);
    }

    function _postData(uint8 replicas, IComputeMarket.Mode mode, uint32 bidWindow)
        internal
        view
        returns (bytes memory)
    {
        IComputeMarket.JobSpec memory s = _spec(replicas, mode, bidWindow);
        s.workloadURI =
        "http://127.0.0.1:8545/v1/blobs/0x8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4";
        s.inputURI = "http://127.0.0.1:8545/v1/blobs/0x2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
        s.units = 1;
        s.maxPricePerUnit = 3e6;
        return abi.encodeCall(market.postJob, (s));
    }

    function _filled(uint8 replicas, IComputeMarket.Mode mode) internal returns (uint256 id) {
        id = _post(_spec(replicas, mode, 0));
        for (uint256 i; i < replicas; ++i) {
            _bid(id, pids[i], 1e6);
        }
    }

    function test_gas_postJob_redundant3() public {
        _measure("postJob (redundant, 3 replicas)", poster, _postData(3, IComputeMarket.Mode.Redundant, 0));
    }

    function test_gas_postJob_optimistic1() public {
        _measure("postJob (optimistic, 1 replica)", poster, _postData(1, IComputeMarket.Mode.Optimistic, 0));
    }

    function test_gas_bid_assignsAtOnce() public {
        uint256 id = _postRedundant(3);
        _measure(
            "bid (no window: assigned at once)", _operator(pids[0]), abi.encodeCall(market.bid, (id, pids[0], 1e6))
        );
    }

    function test_gas_bid_intoBook() public {
        uint256 id = _post(_spec(3, IComputeMarket.Mode.Redundant, 60));
        for (uint256 i; i < 4; ++i) {
            _bid(id, pids[i], uint96(1e6 + i));
        }
        _measure(
            "bid (auction, 5th bid into the book)", _operator(pids[4]), abi.encodeCall(market.bid, (id, pids[4], 2e6))
        );
    }

    function test_gas_assign_3of5() public {
        uint256 id = _post(_spec(3, IComputeMarket.Mode.Redundant, 60));
        for (uint256 i; i < 5; ++i) {
            _bid(id, pids[i], uint96(2e6 - i));
        }
        vm.warp(block.timestamp + 60);
        _measure("assign (best 3 of 5 bids)", makeAddr("keeper"), abi.encodeCall(market.assign, (id)));
    }

    function test_gas_accept_direct() public {
        IComputeMarket.JobSpec memory s = _spec(1, IComputeMarket.Mode.Redundant, 0);
        s.direct = true;
        uint256 id = _post(s);
        vm.prank(poster);
        market.offer(id, pids[0], 1e6);
        _measure("accept (direct offer)", _operator(pids[0]), abi.encodeCall(market.accept, (id, pids[0])));
    }

    function test_gas_commitResult_redundant() public {
        uint256 id = _filled(3, IComputeMarket.Mode.Redundant);
        _measure(
            "commitResult (redundant, not the last)",
            _operator(pids[0]),
            abi.encodeCall(market.commitResult, (id, pids[0], GOOD, "http://127.0.0.1:8545/v1/blobs/0x01"))
        );
    }

    function test_gas_commitResult_lastFinalizesRedundant3() public {
        uint256 id = _filled(3, IComputeMarket.Mode.Redundant);
        _commit(id, pids[0], GOOD);
        _commit(id, pids[1], GOOD);
        _measure(
            "commitResult (3rd of 3: verify + pay 3 + refund)",
            _operator(pids[2]),
            abi.encodeCall(market.commitResult, (id, pids[2], GOOD, "http://127.0.0.1:8545/v1/blobs/0x01"))
        );
    }

    function test_gas_commitResult_lastFinalizesWithSlash() public {
        uint256 id = _filled(3, IComputeMarket.Mode.Redundant);
        _commit(id, pids[0], GOOD);
        _commit(id, pids[1], BAD);
        _measure(
            "commitResult (3rd of 3: pay 2, slash 1)",
            _operator(pids[2]),
            abi.encodeCall(market.commitResult, (id, pids[2], GOOD, "http://127.0.0.1:8545/v1/blobs/0x01"))
        );
    }

    function test_gas_finalize_redundantDeadline() public {
        uint256 id = _filled(3, IComputeMarket.Mode.Redundant);
        _commit(id, pids[0], GOOD);
        _commit(id, pids[1], GOOD);
        vm.warp(market.getJob(id).deadline);
        _measure(
            "finalize (redundant at deadline: pay 2, no-show slash 1)",
            makeAddr("keeper"),
            abi.encodeCall(market.finalize, (id))
        );
    }

    function test_gas_commitResult_optimistic() public {
        uint256 id = _filled(1, IComputeMarket.Mode.Optimistic);
        _measure(
            "commitResult (optimistic: opens the challenge window)",
            _operator(pids[0]),
            abi.encodeCall(market.commitResult, (id, pids[0], GOOD, "http://127.0.0.1:8545/v1/blobs/0x01"))
        );
    }

    function test_gas_finalize_optimistic() public {
        uint256 id = _filled(1, IComputeMarket.Mode.Optimistic);
        _commit(id, pids[0], GOOD);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        _measure(
            "finalize (optimistic, unchallenged: pay 1)", makeAddr("keeper"), abi.encodeCall(market.finalize, (id))
        );
    }

    function test_gas_acceptResult_optimistic() public {
        uint256 id = _filled(1, IComputeMarket.Mode.Optimistic);
        _commit(id, pids[0], GOOD);
        _measure("acceptResult (poster waives the window: pay 1)", poster, abi.encodeCall(market.acceptResult, (id)));
    }

    function test_gas_assign_partialReopens() public {
        uint256 id = _post(_spec(3, IComputeMarket.Mode.Redundant, 60));
        _bid(id, pids[0], 1e6);
        vm.warp(block.timestamp + 60);
        for (uint256 i; i < 5; ++i) {
            vm.prank(_operator(pids[i]));
            market.heartbeat(pids[i]);
        }
        _measure("assign (1 of 3 bids: assign 1, first-come after)", makeAddr("keeper"), abi.encodeCall(market.assign, (id)));
    }

    function test_gas_challenge_3arbiters() public {
        uint256 id = _filled(1, IComputeMarket.Mode.Optimistic);
        _commit(id, pids[0], BAD);
        _measure("challenge (bond + 3 validation requests)", challenger, abi.encodeCall(market.challenge, (id, GOOD)));
    }

    function test_gas_resolveChallenge_upheld() public {
        uint256 id = _filled(1, IComputeMarket.Mode.Optimistic);
        _commit(id, pids[0], BAD);
        vm.prank(challenger);
        market.challenge(id, GOOD);
        for (uint256 a; a < 3; ++a) {
            _answer(id, a, 0);
        }
        _measure(
            "resolveChallenge (3 answers, upheld: slash + refund)",
            makeAddr("keeper"),
            abi.encodeCall(market.resolveChallenge, (id))
        );
    }

    function test_gas_withdraw() public {
        address op = _operator(pids[4]);
        _measure("withdraw (credit to wallet)", op, abi.encodeCall(market.withdraw, (op)));
    }
}
