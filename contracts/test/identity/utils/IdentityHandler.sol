// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {IdentityRegistry} from "../../../src/identity/IdentityRegistry.sol";
import {IIdentityRegistry} from "../../../src/identity/interfaces/IIdentityRegistry.sol";
import {IdentityTestWallet1271} from "./IdentityMocks.sol";
import {IdentityStrings} from "./IdentityStrings.sol";

/// @dev TEST-ONLY invariant handler: random register / transfer / setAgentWallet / unsetAgentWallet / setMetadata /
///      setAgentURI / approvals / time, by a fixed cast of EOAs, with ghost state mirroring what the registry must show.
contract IdentityHandler is CommonBase, StdUtils {
    uint256 internal constant ACTORS = 4;

    IdentityRegistry public immutable registry;
    IdentityTestWallet1271 public immutable contractWallet; // ERC-1271 wallet controlled by actor 3

    address[ACTORS] internal actors;
    uint256[ACTORS] internal keys;

    // ---- ghost state
    uint256 public ghostTotal;
    bool public totalEverDecreased;
    mapping(uint256 agentId => address) public ghostOwner;
    mapping(uint256 agentId => address) public ghostWallet;
    mapping(uint256 agentId => string) internal _ghostURI;
    /// Ownership periods: incremented on every transfer (the canonical registry clears the wallet on each one).
    mapping(uint256 agentId => uint256) public ownerPeriod;
    /// True while the wallet is the registration default (the registrant) and nothing has replaced/cleared it.
    mapping(uint256 agentId => bool) public walletIsRegistrationDefault;
    /// Last successful wallet proof: which wallet, bound to which owner, in which ownership period.
    mapping(uint256 agentId => address) public provenWallet;
    mapping(uint256 agentId => address) public provenForOwner;
    mapping(uint256 agentId => uint256) public provenInPeriod;
    /// Last metadata write per agent.
    mapping(uint256 agentId => string) internal _lastKey;
    mapping(uint256 agentId => bytes) internal _lastValue;

    mapping(bytes32 => uint256) public calls;

    constructor(IdentityRegistry registry_) {
        registry = registry_;
        for (uint256 i; i < ACTORS; ++i) {
            keys[i] = uint256(keccak256(abi.encode("identity-actor", i))) % (SECP256K1_ORDER - 1) + 1;
            actors[i] = vm.addr(keys[i]);
        }
        contractWallet = new IdentityTestWallet1271(actors[3]);
    }

    // ------------------------------------------------------------------ views for the invariant contract

    function actor(uint256 i) external view returns (address) {
        return actors[i];
    }

    function actorCount() external pure returns (uint256) {
        return ACTORS;
    }

    function ghostURI(uint256 agentId) external view returns (string memory) {
        return _ghostURI[agentId];
    }

    function lastMetadata(uint256 agentId) external view returns (string memory, bytes memory) {
        return (_lastKey[agentId], _lastValue[agentId]);
    }

    // ------------------------------------------------------------------ actions

    function register(uint256 actorSeed, uint256 uriSeed, uint8 kind) external {
        address who = actors[actorSeed % ACTORS];
        uint256 agentId;
        string memory uri;
        kind = kind % 3;
        vm.prank(who);
        if (kind == 0) {
            agentId = registry.register();
        } else if (kind == 1) {
            uri = IdentityStrings.any(uriSeed, 120);
            agentId = registry.register(uri);
        } else {
            uri = IdentityStrings.any(uriSeed, 120);
            IIdentityRegistry.MetadataEntry[] memory entries = new IIdentityRegistry.MetadataEntry[](1);
            entries[0] = IIdentityRegistry.MetadataEntry("agentName", abi.encodePacked(uriSeed));
            agentId = registry.register(uri, entries);
            _lastKey[agentId] = "agentName";
            _lastValue[agentId] = abi.encodePacked(uriSeed);
        }
        require(agentId == ghostTotal, "ids must be sequential");
        ghostTotal++;
        ghostOwner[agentId] = who;
        ghostWallet[agentId] = who;
        walletIsRegistrationDefault[agentId] = true;
        _ghostURI[agentId] = uri;
        _checkTotal();
        calls["register"]++;
    }

    function transfer(uint256 agentSeed, uint256 toSeed, uint8 how) external {
        if (ghostTotal == 0) return;
        uint256 agentId = agentSeed % ghostTotal;
        address from = ghostOwner[agentId];
        address to = actors[toSeed % ACTORS]; // may equal `from`: self-transfers clear the wallet too
        how = how % 3;
        if (how == 0) {
            vm.prank(from);
            registry.transferFrom(from, to, agentId);
        } else if (how == 1) {
            vm.prank(from);
            registry.safeTransferFrom(from, to, agentId, abi.encode(agentSeed));
        } else {
            // via a token-approved address
            address spender = actors[(toSeed % ACTORS + 1) % ACTORS];
            vm.prank(from);
            registry.approve(spender, agentId);
            vm.prank(spender);
            registry.transferFrom(from, to, agentId);
        }
        ghostOwner[agentId] = to;
        ghostWallet[agentId] = address(0);
        walletIsRegistrationDefault[agentId] = false;
        ownerPeriod[agentId]++;
        _checkTotal();
        calls["transfer"]++;
    }

    function setAgentWallet(uint256 agentId, uint256 walletSeed, uint256 delay, bool byOperator) external {
        if (ghostTotal == 0) return;
        agentId = agentId % ghostTotal;
        address owner = ghostOwner[agentId];
        uint256 deadline = block.timestamp + delay % 301;

        address wallet;
        bytes memory sig;
        uint256 w = walletSeed % (ACTORS + 1);
        bytes32 digest;
        if (w == ACTORS) {
            wallet = address(contractWallet);
            digest = _digest(agentId, wallet, owner, deadline);
            sig = _sign(keys[3], digest);
        } else {
            wallet = actors[w];
            digest = _digest(agentId, wallet, owner, deadline);
            sig = _sign(keys[w], digest);
        }

        address caller = owner;
        if (byOperator) {
            caller = actors[(walletSeed >> 8) % ACTORS];
            vm.prank(owner);
            registry.setApprovalForAll(caller, true);
        }
        vm.prank(caller);
        registry.setAgentWallet(agentId, wallet, deadline, sig);

        ghostWallet[agentId] = wallet;
        walletIsRegistrationDefault[agentId] = false;
        provenWallet[agentId] = wallet;
        provenForOwner[agentId] = owner;
        provenInPeriod[agentId] = ownerPeriod[agentId];
        _checkTotal();
        calls["setAgentWallet"]++;
    }

    /// A proof bound to someone other than the current owner must always be rejected.
    function setAgentWalletWithForeignProof(uint256 agentId, uint256 walletSeed, uint256 ownerSeed) external {
        if (ghostTotal == 0) return;
        agentId = agentId % ghostTotal;
        address owner = ghostOwner[agentId];
        address boundTo = actors[ownerSeed % ACTORS];
        if (boundTo == owner) return;
        uint256 w = walletSeed % ACTORS;
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _sign(keys[w], _digest(agentId, actors[w], boundTo, deadline));
        vm.prank(owner);
        try registry.setAgentWallet(agentId, actors[w], deadline, sig) {
            revert("foreign proof accepted");
        } catch (bytes memory reason) {
            require(
                keccak256(reason)
                    == keccak256(
                        abi.encodeWithSelector(
                            IIdentityRegistry.IdentityInvalidWalletSignature.selector, agentId, actors[w]
                        )
                    ),
                "unexpected revert"
            );
        }
        calls["foreignProofRejected"]++;
    }

    function unsetAgentWallet(uint256 agentId) external {
        if (ghostTotal == 0) return;
        agentId = agentId % ghostTotal;
        vm.prank(ghostOwner[agentId]);
        registry.unsetAgentWallet(agentId);
        ghostWallet[agentId] = address(0);
        walletIsRegistrationDefault[agentId] = false;
        calls["unsetAgentWallet"]++;
    }

    function setMetadata(uint256 agentId, uint256 keySeed, bytes calldata value) external {
        if (ghostTotal == 0) return;
        agentId = agentId % ghostTotal;
        string memory key = IdentityStrings.printable(keySeed % 12, keySeed);
        if (keccak256(bytes(key)) == keccak256("agentWallet")) return;
        vm.prank(ghostOwner[agentId]);
        registry.setMetadata(agentId, key, value);
        _lastKey[agentId] = key;
        _lastValue[agentId] = value;
        calls["setMetadata"]++;
    }

    function setMetadataReservedKey(uint256 agentId, bytes calldata value) external {
        if (ghostTotal == 0) return;
        agentId = agentId % ghostTotal;
        vm.prank(ghostOwner[agentId]);
        try registry.setMetadata(agentId, "agentWallet", value) {
            revert("reserved key accepted");
        } catch {}
        calls["reservedKeyRejected"]++;
    }

    function setAgentURI(uint256 agentId, uint256 uriSeed) external {
        if (ghostTotal == 0) return;
        agentId = agentId % ghostTotal;
        string memory uri = IdentityStrings.any(uriSeed, 150);
        vm.prank(ghostOwner[agentId]);
        registry.setAgentURI(agentId, uri);
        _ghostURI[agentId] = uri;
        calls["setAgentURI"]++;
    }

    function strangerTriesEverything(uint256 agentId, uint256 actorSeed) external {
        if (ghostTotal == 0) return;
        agentId = agentId % ghostTotal;
        address stranger = actors[actorSeed % ACTORS];
        address owner = ghostOwner[agentId];
        if (registry.isAuthorizedOrOwner(stranger, agentId)) return;
        vm.startPrank(stranger);
        try registry.setAgentURI(agentId, "ipfs://evil") {
            revert("stranger set URI");
        } catch {}
        try registry.setMetadata(agentId, "k", "evil") {
            revert("stranger set metadata");
        } catch {}
        try registry.unsetAgentWallet(agentId) {
            revert("stranger unset wallet");
        } catch {}
        try registry.transferFrom(owner, stranger, agentId) {
            revert("stranger transferred");
        } catch {}
        vm.stopPrank();
        calls["strangerRejected"]++;
    }

    function revokeOperators(uint256 ownerSeed) external {
        address owner = actors[ownerSeed % ACTORS];
        vm.startPrank(owner);
        for (uint256 i; i < ACTORS; ++i) {
            if (actors[i] != owner) registry.setApprovalForAll(actors[i], false);
        }
        vm.stopPrank();
        calls["revokeOperators"]++;
    }

    function warp(uint256 secondsForward) external {
        vm.warp(block.timestamp + secondsForward % 1 days);
        calls["warp"]++;
    }

    // ------------------------------------------------------------------ helpers

    uint256 internal _lastTotal;

    function _checkTotal() internal {
        uint256 total = registry.totalAgents();
        if (total < _lastTotal) totalEverDecreased = true;
        _lastTotal = total;
    }

    function _digest(uint256 agentId, address wallet, address owner, uint256 deadline) internal view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("ERC8004IdentityRegistry"),
                keccak256("1"),
                block.chainid,
                address(registry)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)"),
                agentId,
                wallet,
                owner,
                deadline
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }
}
