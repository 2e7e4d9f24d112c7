// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {console2} from "forge-std/console2.sol";

import {IdentityRegistry} from "../../src/identity/IdentityRegistry.sol";
import {AnchorRegistry} from "../../src/provenance/AnchorRegistry.sol";
import {ProvenanceRegistry} from "../../src/provenance/ProvenanceRegistry.sol";
import {IAnchorRegistry} from "../../src/provenance/interfaces/IAnchorRegistry.sol";
import {IProvenanceRegistry} from "../../src/provenance/interfaces/IProvenanceRegistry.sol";
import {ProvenanceHandler} from "./utils/ProvenanceHandler.sol";

/// @notice Invariants of the provenance registries under random call sequences: records are final, lineage is
///         consistent, and a model exists only with registered datasets and its trainer's valid signature.
contract ProvenanceInvariantTest is Test {
    ProvenanceHandler internal handler;
    AnchorRegistry internal anchors;
    ProvenanceRegistry internal prov;
    IdentityRegistry internal identity;

    function setUp() public {
        vm.warp(1_760_000_000);
        identity = new IdentityRegistry();
        anchors = new AnchorRegistry();
        prov = new ProvenanceRegistry(address(identity));
        handler = new ProvenanceHandler(anchors, prov, identity);
        targetContract(address(handler));
    }

    /// @dev Not vacuous: the sequences do register things (logged with -vv).
    function afterInvariant() public view {
        console2.log("anchors", handler.anchoredCount(), "datasets", handler.datasetCount());
        console2.log("models", handler.modelCount(), "signed by a wallet", handler.walletSigned());
    }

    /// @dev Every call was accepted exactly when the rules say it should be.
    function invariant_outcomesFollowTheRules() public view {
        assertEq(handler.violations(), 0);
    }

    /// @dev An anchored record never changes once set (first submitter, time and block stand).
    function invariant_anchorsAreFinal() public view {
        for (uint256 i; i < handler.anchoredCount(); ++i) {
            bytes32 root = handler.anchoredRoots(i);
            (address submitter, uint48 timestamp, uint48 blockNumber) = handler.ghostAnchor(root);
            IAnchorRegistry.Anchor memory a = anchors.anchorOf(root);
            assertEq(a.submitter, submitter);
            assertEq(a.timestamp, timestamp);
            assertEq(a.blockNumber, blockNumber);
            assertTrue(anchors.isAnchored(root));
        }
        assertFalse(anchors.isAnchored(bytes32(0)));
    }

    /// @dev Every dataset's parent is registered (or zero) and its version is the parent's plus one.
    function invariant_datasetLineageConsistent() public view {
        for (uint256 i; i < handler.datasetCount(); ++i) {
            bytes32 root = handler.datasetRoots(i);
            IProvenanceRegistry.DatasetVersion memory d = prov.datasetOf(root);
            assertEq(d.parent, handler.ghostParent(root));
            assertEq(d.version, handler.ghostVersion(root));
            if (d.parent == bytes32(0)) {
                assertEq(d.version, 1);
            } else {
                assertTrue(prov.isDataset(d.parent));
                assertEq(d.version, prov.datasetOf(d.parent).version + 1);
            }
        }
    }

    /// @dev Every model names only registered datasets and the signer that signed for the agent when it was registered.
    function invariant_modelsHaveRegisteredDatasetsAndSigner() public view {
        for (uint256 i; i < handler.modelCount(); ++i) {
            bytes32 w = handler.models(i);
            IProvenanceRegistry.ModelRecord memory r = prov.modelOf(w);
            assertGt(r.timestamp, 0);
            assertEq(r.signer, handler.ghostSigner(w));
            assertGt(r.datasetRoots.length, 0);
            for (uint256 j; j < r.datasetRoots.length; ++j) {
                assertTrue(prov.isDataset(r.datasetRoots[j]));
            }
        }
    }
}
