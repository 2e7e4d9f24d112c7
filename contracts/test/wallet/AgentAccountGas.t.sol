// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {console2} from "forge-std/console2.sol";

import {IAgentAccount} from "../../src/wallet/interfaces/IAgentAccount.sol";
import {TokenCalls} from "../../src/wallet/lib/TokenCalls.sol";
import {WalletTestBase} from "./utils/WalletTestBase.sol";

/// Gas of the account's key operations next to a plain ERC-20 transfer (one measured call per test, cold state,
/// like a real transaction; each test logs its figure). Figures for the README.
contract AgentAccountGasTest is WalletTestBase {
    address internal holder = makeAddr("holder");

    function setUp() public override {
        super.setUp();
        usdc.mint(holder, 1_000e6);
        usdc.mint(payee, 1); // the payee already holds the token, as it does for the account's transfers below
        // A first spend so that the measured one is the steady state (the log slot and window already exist).
        asAgent(usdcTransfer(payee, 1e6));
        vm.warp(block.timestamp + 10 minutes);
    }

    function test_gas_plainErc20Transfer() public {
        vm.prank(holder);
        uint256 g = gasleft();
        usdc.transfer(payee, 10e6);
        console2.log("plain ERC-20 transfer", g - gasleft());
    }

    function test_gas_executeAsAgentErc20Transfer() public {
        IAgentAccount.Call[] memory calls = usdcTransfer(payee, 10e6);
        vm.prank(key);
        uint256 g = gasleft();
        account.executeAsAgent(key, calls);
        console2.log("executeAsAgent(1 ERC-20 transfer)", g - gasleft());
    }

    function test_gas_executeAsAgentFirstSpendOfKey() public {
        address fresh = makeAddr("fresh");
        vm.prank(owner);
        account.setKey(fresh, defaultPolicy());
        IAgentAccount.Call[] memory calls = usdcTransfer(payee, 10e6);
        vm.prank(fresh);
        uint256 g = gasleft();
        account.executeAsAgent(fresh, calls);
        console2.log("executeAsAgent(1 ERC-20 transfer), first spend of a key", g - gasleft());
    }

    function test_gas_executeAsAgentRefused() public {
        IAgentAccount.Call[] memory calls = usdcTransfer(payee, 101e6);
        vm.prank(key);
        uint256 g = gasleft();
        account.executeAsAgent(key, calls);
        console2.log("executeAsAgent refused (per-tx cap)", g - gasleft());
    }

    function test_gas_ownerExecuteErc20Transfer() public {
        bytes memory data = abi.encodeWithSelector(TokenCalls.TRANSFER, payee, 10e6);
        vm.prank(owner);
        uint256 g = gasleft();
        account.execute(address(usdc), 0, data);
        console2.log("owner execute(ERC-20 transfer)", g - gasleft());
    }

    function test_gas_authorizeTokenSignature() public {
        vm.prank(key);
        uint256 g = gasleft();
        account.authorizeTokenSignature(key, 0, address(usdc), payee, 10e6, 0, type(uint256).max, bytes32("gas"));
        console2.log("authorizeTokenSignature", g - gasleft());
    }

    function test_gas_isValidSignatureKey() public {
        (bytes32 digest,) = authorize(10e6, bytes32("gas2"));
        vm.warp(block.timestamp + 1);
        bytes memory sig = abi.encodePacked(key);
        uint256 g = gasleft();
        account.isValidSignature(digest, sig);
        console2.log("isValidSignature(key, warm)", g - gasleft());
    }
}
