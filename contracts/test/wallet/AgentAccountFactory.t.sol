// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {AgentAccount} from "../../src/wallet/AgentAccount.sol";
import {AgentAccountFactory} from "../../src/wallet/AgentAccountFactory.sol";
import {IAgentAccount} from "../../src/wallet/interfaces/IAgentAccount.sol";
import {WalletTestBase} from "./utils/WalletTestBase.sol";

/// AgentAccountFactory: deterministic, idempotent creation of agent accounts.
contract AgentAccountFactoryTest is WalletTestBase {
    function test_createAccount_deploysAtPrediction() public {
        bytes32 salt = keccak256("s");
        address predicted = factory.predictAddress(owner, 7, guardian, salt);
        assertEq(predicted.code.length, 0);
        assertFalse(factory.isAccount(predicted));
        vm.expectEmit(true, true, true, true, address(factory));
        emit AgentAccountFactory.AccountCreated(predicted, 7, owner, guardian, salt);
        address created = factory.createAccount(owner, 7, guardian, salt);
        assertEq(created, predicted);
        assertTrue(factory.isAccount(created));
        assertEq(AgentAccount(payable(created)).owner(), owner);
        assertEq(AgentAccount(payable(created)).agentId(), 7);
        assertEq(AgentAccount(payable(created)).guardian(), guardian);
    }

    function test_createAccount_idempotent() public {
        address a = factory.createAccount(owner, 7, guardian, bytes32(0));
        vm.recordLogs();
        address b = factory.createAccount(owner, 7, guardian, bytes32(0));
        assertEq(a, b);
        assertEq(vm.getRecordedLogs().length, 0, "no second creation");
    }

    function test_createAccount_distinctInputsDistinctAddresses() public view {
        address base = factory.predictAddress(owner, 7, guardian, bytes32(0));
        assertTrue(base != factory.predictAddress(owner, 8, guardian, bytes32(0)));
        assertTrue(base != factory.predictAddress(stranger, 7, guardian, bytes32(0)));
        assertTrue(base != factory.predictAddress(owner, 7, address(0), bytes32(0)));
        assertTrue(base != factory.predictAddress(owner, 7, guardian, bytes32(uint256(1))));
    }

    function test_createAccount_revertsZeroOwner() public {
        vm.expectRevert(IAgentAccount.InvalidOwner.selector);
        factory.createAccount(address(0), 7, guardian, bytes32(0));
    }

    function test_isAccount_falseForStrangers() public {
        assertFalse(factory.isAccount(stranger));
        // A clone of the same implementation made elsewhere is not the factory's account.
        address rogue = Clones.clone(factory.implementation());
        assertFalse(factory.isAccount(rogue));
    }

    function test_implementation_isLocked() public {
        AgentAccount impl = AgentAccount(payable(factory.implementation()));
        vm.expectRevert(IAgentAccount.AlreadyInitialized.selector);
        impl.initialize(owner, 1, guardian);
    }

    function test_module_directCallsTouchNothing() public {
        address module = account.module();
        vm.expectRevert(IAgentAccount.AlreadyInitialized.selector);
        IAgentAccount(module).initialize(stranger, 1, stranger);
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.NotOwnerOrEntryPoint.selector, stranger));
        vm.prank(stranger);
        IAgentAccount(module).execute(stranger, 0, "");
    }
}
